"""Which clauses a breach or an act triggers, for how much, charged to whom (RULEBOOK §5, §9.2–9.7, §9.3).

Pure: the service layer supplies the facts of the ticket, the prior cases of tiered clauses and what was already
assessed; these functions decide the ledger entries to propose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.penalty.domain import amounts as am
from services.penalty.domain.facts import TicketFacts
from shared.policy.penalties import (
    CUSTOMER_SERVICE,
    Clause,
    FixedAmount,
    PenaltyPolicy,
    PerUnitAmount,
    TicketCondition,
    TieredAmount,
)


@dataclass(frozen=True)
class Payer:
    kind: str  # department | department-head | person | direct-leader
    id: str | None
    person: str | None


@dataclass(frozen=True)
class Proposal:
    """A ledger entry to write (once: its key is clause/group + cause + kind)."""

    clause: str
    cause: str  # breach:<breach event id> | event:<event id> | …
    kind: str  # assessment | adjustment | reversal | refund | manual
    payer: Payer
    computation: am.Computation
    at: datetime  # when the cause happened: its local month is the assessment month (§9.15)
    evidence: tuple[str, ...]  # event ids it rests on
    group: str | None = None
    suffix: str = ""  # tells apart the two entries of a person-and-leader clause

    @property
    def key(self) -> str:
        return "|".join(filter(None, (self.group or self.clause, self.cause, self.kind, self.suffix)))


@dataclass(frozen=True)
class Breach:
    """The facts of an SlaBreached / SlaBreachClosed event the assessment needs."""

    event_id: str
    breach_event_id: str
    rule_id: str
    department: str | None
    person: str | None
    start: datetime
    deadline: datetime
    overdue_minutes: int
    overdue_hours: int
    overdue_days: int
    paused_seconds: int


def route(clause: Clause, facts: TicketFacts, department: str | None, person: str | None,
          actor: str | None = None, escalation_department: str | None = None) -> tuple[Payer, ...]:
    """RULEBOOK §9.3: who pays a clause."""
    dept, who = department or facts.department, person or facts.person
    if clause.payer == "customer-service":
        return (Payer("department", CUSTOMER_SERVICE, actor or person),)
    if clause.payer == "department-head":
        return (Payer("department-head", dept, None),)
    if clause.payer == "publishing-department":
        return (Payer("department", facts.publishing_department or department, facts.notice_actor or person),)
    if clause.payer == "escalation-department":
        return (Payer("department", escalation_department or dept, who),)
    if clause.payer == "person":
        return (Payer("person", who or actor, who or actor),)
    if clause.payer == "person-and-leader":
        return (Payer("person", who, who), Payer("direct-leader", who, None))
    return (Payer("department", dept, who or actor),)


def ticket_matches(cond: TicketCondition, facts: TicketFacts) -> bool:
    return all(not getattr(cond, k) or getattr(facts, k) in getattr(cond, k) for k in ("kind", "segment"))


def when_matches(when: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    for key, wanted in when.items():
        value = payload.get(key)
        if isinstance(wanted, tuple) and value not in wanted or not isinstance(wanted, tuple) and value != wanted:
            return False
    return True


def _escalation_for(facts: TicketFacts, start: datetime):
    """The complaint a TT-escalation-24h timer runs for: the one received when it started."""
    earlier = [e for e in facts.escalations if e.at <= start]
    return earlier[-1] if earlier else (facts.escalations[-1] if facts.escalations else None)


def assess_breach(policy: PenaltyPolicy, b: Breach, facts: TicketFacts, timeline: tuple[tuple[str, datetime], ...],
                  priors: Mapping[str, int], tz: str) -> list[Proposal]:
    """Entries an SlaBreached proposes: one per clause that names the rule, has an amount and applies."""
    out = []
    for clause in policy.on_breach(b.rule_id):
        t = clause.trigger
        if clause.amount is None or not ticket_matches(t.ticket, facts):
            continue
        if t.unless_before_deadline and any(n == t.unless_before_deadline and at <= b.deadline for n, at in timeline):
            continue  # e.g. TT-9.3: the delay was reported in time
        esc = _escalation_for(facts, b.start) if clause.payer == "escalation-department" else None
        payers = route(clause, facts, b.department, b.person,
                       escalation_department=esc.responsible_department if esc else None)
        comp = _breach_amount(clause, b, payers[0], priors, tz)
        if comp is None or comp.fen == 0:
            continue
        evidence = (b.event_id,) + ((esc.event_id,) if esc else ())
        out += _per_payer(clause, f"breach:{b.breach_event_id}", "assessment", payers, comp, b.deadline, evidence)
    return out


def _breach_amount(clause: Clause, b: Breach, payer: Payer, priors: Mapping[str, int],
                   tz: str) -> am.Computation | None:
    amount = clause.amount
    if isinstance(amount, PerUnitAmount):
        units = b.overdue_hours if amount.unit == "hour" else b.overdue_days
        return am.per_unit(amount.fen, amount.unit, units, b.overdue_minutes, b.paused_seconds)
    if isinstance(amount, FixedAmount):
        return am.fixed(amount.fen)
    if isinstance(amount, TieredAmount):
        return am.tiered(amount.fen, priors.get(clause.clause, 0), payer.id, am.local_year(b.deadline, tz))
    return None


def close_breach(policy: PenaltyPolicy, b: Breach, assessed: Mapping[str, tuple[int, Payer]],
                 facts: TicketFacts) -> list[Proposal]:
    """SlaBreachClosed: per-unit clauses get a delta entry for the units past those assessed at the breach.

    `assessed` maps clause id -> (units already assessed, payer) for this breach; a clause with no entry yet (the
    breach was assessed under another policy, or not at all) is charged its final units in full."""
    out = []
    for clause in policy.on_breach(b.rule_id):
        amount = clause.amount
        if not isinstance(amount, PerUnitAmount) or not ticket_matches(clause.trigger.ticket, facts):
            continue
        final = b.overdue_hours if amount.unit == "hour" else b.overdue_days
        units, payer = assessed.get(clause.clause, (0, None))
        if final == units:
            continue
        payers = (payer,) if payer else route(clause, facts, b.department, b.person)
        comp = am.delta(amount.fen, amount.unit, units, final, b.overdue_minutes, b.paused_seconds)
        out += _per_payer(clause, f"breach:{b.breach_event_id}", "adjustment", payers, comp, b.deadline,
                          (b.breach_event_id, b.event_id))
    return out


def assess_act(policy: PenaltyPolicy, name: str, event_id: str, at: datetime, payload: Mapping[str, Any],
               facts: TicketFacts, priors: Mapping[str, int], tz: str) -> list[Proposal]:
    """Entries an act-level event proposes: plain clauses each; a group's clauses compete (highest wins)."""
    out: list[Proposal] = []
    grouped: dict[str, list[Clause]] = {}
    for clause in policy.on_event(name):
        t = clause.trigger
        if clause.amount is None or not when_matches(t.when, payload) or not ticket_matches(t.ticket, facts):
            continue
        items = tuple(payload.get(t.items) or ()) if t.items else ()
        if t.items and not items:
            continue
        if clause.group:
            grouped.setdefault(clause.group, []).append(clause)
            continue
        payers = route(clause, facts, payload.get("department"), payload.get("technician"), payload.get("actor"))
        if name == "TicketRedispatched":  # TT-8.10: whoever made the wrong dispatch
            payers = tuple(Payer(p.kind, p.id, payload.get("previous_dispatched_by") or p.person) for p in payers)
        comp = _act_amount(clause, payers[0], priors, at, tz)
        if comp is None:
            continue
        if items:  # RULEBOOK §9.6: one fine per act, every missing item listed
            comp = am.Computation(comp.fen, f"one fine for the act, missing {', '.join(items)}: {comp.text}",
                                  {**comp.numbers, "missing": list(items)})
        out += _per_payer(clause, f"event:{event_id}", "assessment", payers, comp, at, (event_id,))
    for group, clauses in grouped.items():
        out += _group_item(policy, group, clauses, event_id, at, payload, facts, priors, tz)
    return out


def _act_amount(clause: Clause, payer: Payer, priors: Mapping[str, int], at: datetime,
                tz: str) -> am.Computation | None:
    if isinstance(clause.amount, FixedAmount):
        return am.fixed(clause.amount.fen)
    if isinstance(clause.amount, TieredAmount):
        return am.tiered(clause.amount.fen, priors.get(clause.clause, 0), payer.id, am.local_year(at, tz))
    return None


def candidates(clauses: list[Clause], payer: Payer, priors: Mapping[str, int], at: datetime,
               tz: str) -> list[dict[str, Any]]:
    """Every applicable item of a group with its own amount (tier applied), before doubling."""
    out = []
    for clause in clauses:
        comp = _act_amount(clause, payer, priors, at, tz)
        if comp is not None:
            out.append({"clause": clause.clause, "fen": comp.fen, "text": comp.text,
                        "double_if_churned": clause.double_if_churned})
    return out


def pick(cands: list[dict[str, Any]], churned: bool, nth: int, multiplier: int) -> tuple[str, am.Computation]:
    """RULEBOOK §9.7: the highest single item (VIP doubled when churned), then ×multiplier for a repeat."""
    scored = [(c["fen"] * (2 if churned and c["double_if_churned"] else 1), i, c) for i, c in enumerate(cands)]
    fen, _, best = max(scored, key=lambda s: (s[0], -s[1]))
    comp = am.Computation(best["fen"], f"{best['clause']}: {best['text']}",
                          {"candidates": cands, "chosen": best["clause"], "nth": nth})
    if fen != best["fen"]:
        comp = am.multiplied(comp, 2, "the customer left because of the complaint")
    others = [f"{c['clause']} {c['fen']:,} fen" for c in cands if c is not best]
    if others:
        comp = am.Computation(comp.fen, f"{comp.text} (highest of: {', '.join(others)} not added)", comp.numbers)
    if nth >= 2:
        comp = am.multiplied(comp, multiplier, f"complaint {nth} on the same ticket")
    return best["clause"], comp


def _group_item(policy: PenaltyPolicy, group: str, clauses: list[Clause], event_id: str, at: datetime,
                payload: Mapping[str, Any], facts: TicketFacts, priors: Mapping[str, int], tz: str) -> list[Proposal]:
    lead = clauses[0]
    payers = route(lead, facts, None, None, payload.get("actor"),
                   escalation_department=payload.get("responsible_department"))
    cands = candidates(clauses, payers[0], priors, at, tz)
    if not cands:
        return []
    nth = int(payload.get("nth") or 1)
    chosen, comp = pick(cands, facts.churned_by_complaint, nth, policy.group(group).repeat_multiplier)
    clause = next(c for c in clauses if c.clause == chosen)
    return _per_payer(clause, f"event:{event_id}", "assessment", payers, comp, at, (event_id,), group)


def rescore_on_churn(policy: PenaltyPolicy, group: str, numbers: Mapping[str, Any],
                     already_fen: int) -> tuple[str, am.Computation] | None:
    """CustomerChurned caused by the complaint: the VIP item doubles; a delta when that raises the item."""
    cands, nth = numbers.get("candidates") or [], int(numbers.get("nth") or 1)
    if not cands:
        return None
    chosen, comp = pick(cands, True, nth, policy.group(group).repeat_multiplier)
    more = comp.fen - already_fen
    if more <= 0:
        return None
    text = f"customer left because of the complaint: {comp.text}; {already_fen:,} fen already assessed, +{more:,} fen"
    return chosen, am.Computation(more, text, {**comp.numbers, "already_fen": already_fen})


def _per_payer(clause: Clause, cause: str, kind: str, payers: tuple[Payer, ...], comp: am.Computation,
               at: datetime, evidence: tuple[str, ...], group: str | None = None) -> list[Proposal]:
    return [Proposal(clause.clause, cause, kind, p, comp, at, evidence, group, "leader" if i else "")
            for i, p in enumerate(payers)]


def voided(rule_conditions: list[Any], facts: TicketFacts) -> bool:
    """A reclassification voids a breach when no rule of its family applies to the ticket any more (list fields
    of `applies_to`: kind, segment, product, priority)."""
    attrs = facts.attrs()
    for cond in rule_conditions:
        if all(not getattr(cond, k) or attrs.get(k) in getattr(cond, k) for k in attrs):
            return False
    return True
