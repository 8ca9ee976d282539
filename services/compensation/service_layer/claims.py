"""Claims from events (issue 11): after every fact about a ticket, recompute its claims from everything known and
store them, one row per ticket, scheme and promise. Deterministic from the facts, so redelivery, replay and several
instances converge on the same rows; payable transitions publish CompensationDue / CompensationVoided once each."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from services.compensation.adapters import repository as repo
from services.compensation.adapters.tables import claims as T
from services.compensation.domain.claims import DUE, EXEMPT, Claim, money
from services.compensation.domain.decide import Inputs, decide
from services.compensation.domain.facts import TicketFacts, fold
from services.compensation.service_layer.config import CompensationConfig
from shared.events.compensation import CompensationDue, CompensationVoided
from shared.messaging.unit_of_work import UnitOfWork

CLAIM_IDS = uuid.UUID("5f0c6f0e-5b1e-4c8e-9a55-6d3c0b7c1a11")  # namespace of claim ids


def claim_id_of(ticket_id: uuid.UUID, scheme: str, promise: str) -> uuid.UUID:
    """A claim's id follows from what it is (ticket, scheme, promise): a replay rebuilds the same ids."""
    return uuid.uuid5(CLAIM_IDS, f"{ticket_id}/{scheme}/{promise}")
VOID = "void"


async def recompute(uow: UnitOfWork, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    """Bring the ticket's claims up to date with every fact and input; returns the stored rows."""
    cfg: CompensationConfig = uow.config
    conn = uow.conn
    await repo.lock_ticket(conn, ticket_id)
    facts = fold(str(ticket_id), await repo.ticket_facts(conn, ticket_id))
    if facts.entered_at is None:  # TicketCreated not here yet: it will bring the ticket's claims
        return []
    facts, inputs = await gather_inputs(conn, ticket_id, facts)
    now = uow.now()
    computed = decide(cfg.schemes, cfg.cutoffs, facts, inputs, now, cfg.flag_backdated_after)
    existing = {(r["scheme"], r["promise"]): r for r in await repo.claims_of(conn, ticket_id, for_update=True)}
    for claim in computed:
        await _store(uow, cfg, ticket_id, facts.number, facts.customer, claim, existing.get((claim.scheme,
                                                                                             claim.promise)))
    gone = set(existing) - {(c.scheme, c.promise) for c in computed}
    for key in gone:  # e.g. reclassified out of the promise: a payable claim is voided with its own event
        row = existing[key]
        if row["status"] != VOID and row["payout_state"] is None:
            await conn.execute(update(T.claims).where(T.claims.c.claim_id == row["claim_id"])
                               .values(status=VOID, updated_at=now))
            if row["status"] == DUE:
                await _voided(uow, row, "the ticket no longer carries this promise (reclassified)", None)
    return await repo.claims_of(conn, ticket_id)


async def gather_inputs(conn: Any, ticket_id: uuid.UUID, facts: TicketFacts) -> tuple[TicketFacts, Inputs]:
    """Compensation's own inputs, and the district's opt-in and area type from the directory copy (CT-2.5); the
    ticket's own area type wins when it has one."""
    opted_in, area_type = await repo.district(conn, facts.district)
    if facts.area_type is None and area_type is not None:
        facts = replace(facts, area_type=area_type)
    return facts, Inputs(exemptions=tuple(await repo.exemptions(conn, ticket_id)),
                         completion_confirmed=await repo.confirmed(conn, ticket_id), district_opted_in=opted_in)


async def _store(uow: UnitOfWork, cfg: CompensationConfig, ticket_id: uuid.UUID, number: str,
                 customer: dict[str, str], claim: Claim, row: dict[str, Any] | None) -> None:
    now = uow.now()
    scheme = cfg.schemes.schemes[claim.scheme]
    if row is not None and row["payout_state"] is not None:
        return  # in a batch or paid: the amount is what finance holds; later facts change nothing here
    payment_due = claim.completion + scheme.payment.within if claim.status == DUE and claim.completion else None
    values = {"number": number, "customer_name": customer.get("name", ""), "customer_phone": customer.get("phone", ""),
              "account": customer.get("account", ""), "clause": claim.clause, "currency": claim.currency,
              "unit": claim.unit, "status": claim.status, "amount": claim.amount, "days_late": claim.days_late,
              "deadline": claim.deadline, "completion": claim.completion, "evidence": claim.evidence(),
              "payment_due_at": payment_due, "updated_at": now}
    if row is None:
        claim_id = claim_id_of(ticket_id, claim.scheme, claim.promise)
        stmt = insert(T.claims).values(claim_id=claim_id, ticket_id=ticket_id, scheme=claim.scheme,
                                       promise=claim.promise, created_at=now,
                                       due_since=now if claim.status == DUE else None, **values)
        await uow.conn.execute(stmt.on_conflict_do_nothing(constraint="uq_compensation_claim_promise"))
        before = None
    else:
        claim_id = row["claim_id"]
        due_since = row["due_since"] if row["status"] == DUE else (now if claim.status == DUE else None)
        await uow.conn.execute(update(T.claims).where(T.claims.c.claim_id == claim_id)
                               .values(due_since=due_since, **values))
        before = row["status"]
    stored = {**values, "claim_id": claim_id, "ticket_id": ticket_id, "scheme": claim.scheme, "promise": claim.promise}
    if claim.status == DUE and before != DUE:
        await _due(uow, stored, claim, payment_due)
        await _notify(uow, cfg, stored, claim)
    elif before == DUE and claim.status != DUE:
        code = (claim.exemption or {}).get("code") if claim.status == EXEMPT else None
        why = f"exemption {code} recorded after the claim" if code else f"claim is now {claim.status}"
        await _voided(uow, stored, why, code)


async def _publish(uow: UnitOfWork, payload: Any, ticket_id: uuid.UUID) -> None:
    uow.emit([payload], stream=ticket_id, first_sequence=await repo.next_sequence(uow.conn), occurred_at=uow.now())


def _common(row: dict[str, Any]) -> dict[str, Any]:
    return {"ticket_id": row["ticket_id"], "claim_id": row["claim_id"], "scheme": row["scheme"],
            "promise": row["promise"], "clause": row["clause"], "amount": row["amount"], "currency": row["currency"],
            "unit": row["unit"]}


async def _due(uow: UnitOfWork, row: dict[str, Any], claim: Claim, payment_due: datetime | None) -> None:
    await _publish(uow, CompensationDue(**_common(row), payment_due_at=payment_due, arithmetic=claim.arithmetic),
                   row["ticket_id"])


async def _voided(uow: UnitOfWork, row: dict[str, Any], reason: str, code: str | None) -> None:
    await _publish(uow, CompensationVoided(**_common(row), reason=reason, exemption_code=code), row["ticket_id"])


def notice_text(template: str, number: str, amount: int, unit: str, reason: str, clause: str) -> str:
    """The customer's message (CT-4.6): Chinese for CT (元), English for Ofcom (£)."""
    shown = f"£{amount // 100}.{amount % 100:02d}" if unit == "pence" else f"{amount // 100}.{amount % 100:02d}元"
    return template.format(number=number, amount=shown, reason=reason, clause=clause)


REASONS_ZH = {"install": "当日装未按时装机", "repair": "当日修未按时修复"}


async def _notify(uow: UnitOfWork, cfg: CompensationConfig, row: dict[str, Any], claim: Claim) -> None:
    """Queue the customer's notice (one per claim); a notifier worker delivers it."""
    scheme = cfg.schemes.schemes[claim.scheme]
    if scheme.notice.language == "zh":
        reason = REASONS_ZH.get(claim.promise, claim.promise)
    else:
        reason = {"repair": "repair later than promised", "provision": "service started late"}.get(
            claim.promise, "appointment missed" if claim.promise.startswith("appointment") else claim.promise)
    message = notice_text(scheme.notice.template, row["number"], claim.amount, claim.unit, reason, claim.clause)
    await uow.conn.execute(insert(T.notifications).values(
        notification_id=uuid.uuid4(), claim_id=row["claim_id"], ticket_id=row["ticket_id"],
        phone=row["customer_phone"], language=scheme.notice.language, message=message, status="pending",
        created_at=uow.now()).on_conflict_do_nothing(index_elements=[T.notifications.c.claim_id]))


def shown_amount(amount: int, unit: str) -> str:
    return money(amount, unit)
