"""What one recomputation of a ticket changes (pure: no I/O).

`plan_ticket` takes the claims `decide` computes for a ticket and what the service stored (claims, the exemptions
it announced) and returns the writes: claim rows to insert or update, events to publish, customer notices to queue,
payout corrections and exemption announcements. The service layer loads the facts of many tickets at once, calls
this for each and writes the union set-based (services/compensation/service_layer/claims.py).

Transitions of one claim (ticket, scheme, promise), stored -> computed:
- not stored: inserted; payable (`due`) -> CompensationDue and the customer's notice (CT-4.6);
- not in a batch: updated; becomes payable -> CompensationDue + notice; stops being payable -> CompensationVoided;
- in an open batch (`batched`, its line pending) and no longer payable (an exemption recorded late, CT-3.2): the
  line leaves the batch (batch total recomputed), the claim takes its new status, CompensationVoided; still payable:
  unchanged (the amount is what finance holds);
- paid and no longer payable: a clawback of the paid amount is recorded (visible in the batch's reconciliation and
  the month's paid report), CompensationVoided; payable again (the exemption voided by a dispute, CT-3.3.1): the
  open clawback is cancelled, CompensationDue (the customer keeps the payment);
- a claim the ticket no longer carries (reclassified out of the promise) is `void`, with the same rules.

Exemptions (RULEBOOK §9.12): each one recorded for the ticket, and the automatic rural one (CT-2.5), is announced
with CompensationExemptionRecorded when it comes into force and CompensationExemptionVoided when it stops (a
dispute without a call recording, CT-3.3.1), once per change, whatever the number of recomputations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.compensation.domain import ct
from services.compensation.domain.claims import DUE, EXEMPT, Claim, Exemption, standing
from services.compensation.domain.decide import Inputs
from services.compensation.domain.facts import TicketFacts
from shared.events.compensation import (
    CompensationDue,
    CompensationExemptionRecorded,
    CompensationExemptionVoided,
    CompensationVoided,
)
from shared.policy.compensation import CompensationPolicy, CtScheme

VOID = "void"
CLAIM_IDS = uuid.UUID("5f0c6f0e-5b1e-4c8e-9a55-6d3c0b7c1a11")  # namespace of claim ids
RECORDED, VOIDED = "recorded", "voided"  # an exemption's announced state
#: The columns a recomputation writes (besides the key and created_at); a stored row equal on all but
#: `updated_at` is not written again.
VALUE_COLUMNS = ("number", "customer_name", "customer_phone", "account", "clause", "currency", "unit", "status",
                 "amount", "days_late", "deadline", "completion", "evidence", "due_since", "payment_due_at",
                 "payout_state", "paid_at", "top_up_ref")


def claim_id_of(ticket_id: uuid.UUID, scheme: str, promise: str) -> uuid.UUID:
    """A claim's id follows from what it is (ticket, scheme, promise): a replay rebuilds the same ids."""
    return uuid.uuid5(CLAIM_IDS, f"{ticket_id}/{scheme}/{promise}")


def automatic_exemption_id(ticket_id: uuid.UUID, code: str) -> uuid.UUID:
    return uuid.uuid5(CLAIM_IDS, f"{ticket_id}/exemption/{code}")


@dataclass(frozen=True)
class Clawback:
    """A paid claim that is no longer payable: the paid amount is to be recovered."""

    claim_id: uuid.UUID
    ticket_id: uuid.UUID
    reason: str
    exemption_code: str | None


@dataclass
class Plan:
    """The writes of one or many tickets' recomputations, in the order they were planned."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # whole claim rows to insert or update
    events: list[tuple[uuid.UUID, BaseModel]] = field(default_factory=list)  # (ticket, payload)
    notices: list[dict[str, Any]] = field(default_factory=list)
    unbatch: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (claim, why): its pending line leaves
    clawbacks: list[Clawback] = field(default_factory=list)
    cancel_clawbacks: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (claim, why)
    announced: list[dict[str, Any]] = field(default_factory=list)  # exemption announcement states

    def extend(self, other: Plan) -> None:
        for name in ("rows", "events", "notices", "unbatch", "clawbacks", "cancel_clawbacks", "announced"):
            getattr(self, name).extend(getattr(other, name))


@dataclass(frozen=True)
class Scope:
    """The policy a plan is made under."""

    policy: CompensationPolicy
    timers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # promise -> SLA rule ids (CT)

    @classmethod
    def of(cls, policy: CompensationPolicy) -> Scope:
        timers: dict[str, list[str]] = {}
        for scheme in policy.schemes.values():
            if isinstance(scheme, CtScheme):
                for promise, rules in (("install", scheme.install), ("repair", scheme.repair)):
                    if rules is not None:
                        timers.setdefault(promise, []).append(rules.timer)
        return cls(policy, {k: tuple(v) for k, v in timers.items()})

    def rule_ids(self, promise: str | None) -> list[str]:
        if promise is None:
            return sorted({r for rules in self.timers.values() for r in rules})
        return list(self.timers.get(promise, ()))


def plan_ticket(scope: Scope, ticket_id: uuid.UUID, facts: TicketFacts, inputs: Inputs, computed: list[Claim],
                stored: Mapping[tuple[str, str], Mapping[str, Any]], announced: Mapping[uuid.UUID, str],
                now: datetime) -> Plan:
    """The writes that bring the ticket's stored claims and announcements up to `computed` (see the module)."""
    plan = Plan()
    _exemptions(plan, scope, ticket_id, facts, inputs, announced, now)  # the cause first: then what it does to claims
    seen = set()
    for claim in computed:
        seen.add((claim.scheme, claim.promise))
        _claim(plan, scope, ticket_id, facts, claim, stored.get((claim.scheme, claim.promise)), now)
    for key in sorted(set(stored) - seen):  # the ticket no longer carries this promise (reclassified)
        row = stored[key]
        if row["status"] != VOID:
            _gone(plan, row, now, "the ticket no longer carries this promise (reclassified)")
    return plan


def _values(scope: Scope, facts: TicketFacts, claim: Claim) -> dict[str, Any]:
    scheme = scope.policy.schemes[claim.scheme]
    payment_due = claim.completion + scheme.payment.within if claim.status == DUE and claim.completion else None
    customer = facts.customer
    return {"number": facts.number, "customer_name": customer.get("name", ""),
            "customer_phone": customer.get("phone", ""), "account": customer.get("account", ""),
            "clause": claim.clause, "currency": claim.currency, "unit": claim.unit, "status": claim.status,
            "amount": claim.amount, "days_late": claim.days_late, "deadline": claim.deadline,
            "completion": claim.completion, "evidence": claim.evidence(), "payment_due_at": payment_due}


def _claim(plan: Plan, scope: Scope, ticket_id: uuid.UUID, facts: TicketFacts, claim: Claim,
           row: Mapping[str, Any] | None, now: datetime) -> None:
    values = _values(scope, facts, claim)
    if row is None:
        new = {"claim_id": claim_id_of(ticket_id, claim.scheme, claim.promise), "ticket_id": ticket_id,
               "scheme": claim.scheme, "promise": claim.promise, "created_at": now, "updated_at": now,
               "due_since": now if claim.status == DUE else None, "payout_state": None, "paid_at": None,
               "top_up_ref": None, **values}
        plan.rows.append(new)
        if claim.status == DUE:
            plan.events.append((ticket_id, _due(new, claim.arithmetic)))
            plan.notices.append(_notice(scope, new, claim))
        return
    before, payout = row["status"], row["payout_state"]
    if payout is not None and claim.status == DUE and before == DUE:
        return  # in a batch or paid, still payable: the amount is what finance holds
    if payout == "batched" and claim.status != DUE:
        why = _why(claim, "removed from its open payout batch before payment")
        _write(plan, row, values, due_since=None, payout_state=None, now=now)
        plan.unbatch.append((row["claim_id"], why))
        plan.events.append((ticket_id, _voided(row, why, _code(claim))))
        return
    if payout == "paid":  # the amount stays what was paid
        values = {**values, "amount": row["amount"], "payment_due_at": row["payment_due_at"]}
        if claim.status != DUE and before == DUE:
            why = _why(claim, "already paid: the amount is to be clawed back")
            _write(plan, row, values, due_since=row["due_since"], payout_state="paid", now=now)
            plan.clawbacks.append(Clawback(row["claim_id"], ticket_id, why, _code(claim)))
            plan.events.append((ticket_id, _voided(row, why, _code(claim))))
        elif claim.status == DUE and before != DUE:
            why = "payable again (the exemption no longer stands): the clawback is cancelled, the customer keeps it"
            _write(plan, row, values, due_since=now, payout_state="paid", now=now)
            plan.cancel_clawbacks.append((row["claim_id"], why))
            plan.events.append((ticket_id, _due(row, claim.arithmetic)))
        elif claim.status != DUE:
            _write(plan, row, values, due_since=None, payout_state="paid", now=now)
        return
    due_since = row["due_since"] if before == DUE and claim.status == DUE else (now if claim.status == DUE else None)
    _write(plan, row, values, due_since=due_since, payout_state=None, now=now)
    if claim.status == DUE and before != DUE:
        plan.events.append((ticket_id, _due({**row, **values}, claim.arithmetic)))
        plan.notices.append(_notice(scope, {**row, **values}, claim))
    elif before == DUE and claim.status != DUE:
        code = _code(claim)
        why = f"exemption {code} recorded after the claim" if code else f"claim is now {claim.status}"
        plan.events.append((ticket_id, _voided(row, why, code)))


def _gone(plan: Plan, row: Mapping[str, Any], now: datetime, why: str) -> None:
    payout = row["payout_state"]
    if payout == "paid":
        if row["status"] == DUE:
            why = f"{why}; already paid: the amount is to be clawed back"
            plan.clawbacks.append(Clawback(row["claim_id"], row["ticket_id"], why, None))
            plan.events.append((row["ticket_id"], _voided(row, why, None)))
        _write(plan, row, {"status": VOID}, due_since=None, payout_state="paid", now=now)
        return
    if payout == "batched":
        why = f"{why}; removed from its open payout batch before payment"
        plan.unbatch.append((row["claim_id"], why))
    _write(plan, row, {"status": VOID}, due_since=None, payout_state=None, now=now)
    if row["status"] == DUE:
        plan.events.append((row["ticket_id"], _voided(row, why, None)))


def _write(plan: Plan, row: Mapping[str, Any], values: Mapping[str, Any], *, due_since: datetime | None,
           payout_state: str | None, now: datetime) -> None:
    new = {**row, **values, "due_since": due_since, "payout_state": payout_state}
    if all(new[c] == row[c] for c in VALUE_COLUMNS):
        return
    plan.rows.append({**new, "updated_at": now})


def _code(claim: Claim) -> str | None:
    return (claim.exemption or {}).get("code") if claim.status == EXEMPT else None


def _why(claim: Claim, what: str) -> str:
    code = _code(claim)
    return f"exemption {code} recorded after the claim; {what}" if code else f"claim is now {claim.status}; {what}"


def _common(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"ticket_id": row["ticket_id"], "claim_id": row["claim_id"], "scheme": row["scheme"],
            "promise": row["promise"], "clause": row["clause"], "amount": row["amount"], "currency": row["currency"],
            "unit": row["unit"]}


def _due(row: Mapping[str, Any], arithmetic: str) -> CompensationDue:
    return CompensationDue(**_common(row), payment_due_at=row["payment_due_at"], arithmetic=arithmetic)


def _voided(row: Mapping[str, Any], reason: str, code: str | None) -> CompensationVoided:
    return CompensationVoided(**_common(row), reason=reason, exemption_code=code)


REASONS_ZH = {"install": "当日装未按时装机", "repair": "当日修未按时修复"}


def notice_text(template: str, number: str, amount: int, unit: str, reason: str, clause: str) -> str:
    """The customer's message (CT-4.6): Chinese for CT (元), English for Ofcom (£)."""
    shown = f"£{amount // 100}.{amount % 100:02d}" if unit == "pence" else f"{amount // 100}.{amount % 100:02d}元"
    return template.format(number=number, amount=shown, reason=reason, clause=clause)


def _notice(scope: Scope, row: Mapping[str, Any], claim: Claim) -> dict[str, Any]:
    """The customer's notice (one per claim), queued for the delivery worker."""
    scheme = scope.policy.schemes[claim.scheme]
    if scheme.notice.language == "zh":
        reason = REASONS_ZH.get(claim.promise, claim.promise)
    else:
        reason = {"repair": "repair later than promised", "provision": "service started late"}.get(
            claim.promise, "appointment missed" if claim.promise.startswith("appointment") else claim.promise)
    return {"claim_id": row["claim_id"], "ticket_id": row["ticket_id"], "phone": row["customer_phone"],
            "language": scheme.notice.language,
            "message": notice_text(scheme.notice.template, row["number"], claim.amount, claim.unit, reason,
                                   claim.clause)}


# --- exemptions announced (RULEBOOK §9.12) ---------------------------------------------------------------------


@dataclass(frozen=True)
class InForce:
    """An exemption of the ticket and whether it stands now."""

    exemption_id: uuid.UUID
    exemption: Exemption
    stands: bool
    why: str


def exemptions_in_force(policy: CompensationPolicy, ticket_id: uuid.UUID, facts: TicketFacts,
                        inputs: Inputs) -> list[InForce]:
    """The automatic rural exemption (CT-2.5: an eligible ticket of a rural district that has not opted in) and
    every recorded one, each with whether it stands (CT-3.3.1: disputed without a call recording it does not)."""
    out = []
    for scheme in policy.schemes.values():
        if isinstance(scheme, CtScheme) and ct.eligibility(scheme, facts, inputs.district_opted_in).rural_exempt:
            rural = ct.rural_exemption(facts)
            out.append(InForce(automatic_exemption_id(ticket_id, rural.code), rural, True, "automatic (CT-2.5)"))
            break
    for e in inputs.exemptions:
        stands, why = standing(e, facts.recordings)
        out.append(InForce(uuid.UUID(e.exemption_id), e, stands, why))
    return out


def _exemptions(plan: Plan, scope: Scope, ticket_id: uuid.UUID, facts: TicketFacts, inputs: Inputs,
                announced: Mapping[uuid.UUID, str], now: datetime) -> None:
    found = exemptions_in_force(scope.policy, ticket_id, facts, inputs)
    for item in found:
        e, state = item.exemption, announced.get(item.exemption_id)
        common = {"ticket_id": ticket_id, "exemption_id": item.exemption_id, "code": e.code, "cause": e.cause,
                  "promise": e.promise, "rule_ids": scope.rule_ids(e.promise)}
        if item.stands and state != RECORDED:
            recorded_at = e.extra.get("recorded_at") or now
            plan.events.append((ticket_id, CompensationExemptionRecorded(
                **common, note=e.note, automatic=e.automatic, recorded_by=e.extra.get("recorded_by"),
                recorded_at=recorded_at)))
            plan.announced.append(_state(item.exemption_id, ticket_id, e.code, RECORDED, now))
        elif not item.stands and state == RECORDED:
            plan.events.append((ticket_id, CompensationExemptionVoided(**common, reason=item.why, voided_at=now)))
            plan.announced.append(_state(item.exemption_id, ticket_id, e.code, VOIDED, now))
    current = {i.exemption_id for i in found}
    for exemption_id, state in sorted(announced.items()):
        if state == RECORDED and exemption_id not in current:  # an automatic one that no longer applies
            code = "rural" if exemption_id == automatic_exemption_id(ticket_id, "rural") else "unknown"
            plan.events.append((ticket_id, CompensationExemptionVoided(
                ticket_id=ticket_id, exemption_id=exemption_id, code=code, rule_ids=scope.rule_ids(None),
                reason="no longer applies: the ticket is no longer an eligible ticket of a rural district that has "
                       "not opted in", voided_at=now, clause="CT-2.5")))
            plan.announced.append(_state(exemption_id, ticket_id, code, VOIDED, now))


def _state(exemption_id: uuid.UUID, ticket_id: uuid.UUID, code: str, state: str, now: datetime) -> dict[str, Any]:
    return {"exemption_id": exemption_id, "ticket_id": ticket_id, "code": code, "state": state, "changed_at": now}
