"""Events -> ledger entries (issue 10). Consumes gongdan.tickets (facts, act-level clauses) and gongdan.sla (breaches);
gongdan.compensation's exemptions only for the scorecards (service_layer/exemptions.py).

Per-started-unit clauses (TT-9.12, NJ-4.3.2b/d; Decision): `SlaBreached` fires when the deadline (+ grace) passes
with the timer still open, carrying the lateness so far; the entry is proposed then for those units. When the
breached timer finally stops, `SlaBreachClosed` carries the final lateness and one `adjustment` entry charges the
units not yet assessed (same clause, payer and month as the breach). A breach whose stop itself came late carries
`actual` and is final at once. `SlaBreachRetracted` reverses every entry resting on the breach with a `reversal`
entry; so does a reclassification after which no rule of the breached timer's family applies to the ticket.

Every applied event also goes to penalty's journal (replay, what-if) and every timer outcome (SlaMet too) to the
scorecards' table (domain/timers.py). The consumer hands over runs of consecutive events of any type (issue 13):
ticket and call events are kept a stretch at a time (`on_ticket_events`), SLA outcomes a run at a time and
consecutive breaches without a tier assessed at once (`on_sla_events`); the ledger still moves event by event in
order wherever an entry depends on the ones before it.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import shared.events.catalog  # noqa: F401  (registers every event type, gongdan.sla included)
from services.penalty.adapters import journal
from services.penalty.adapters import repository as repo
from services.penalty.adapters.tables import observed
from services.penalty.domain import assess as pa
from services.penalty.domain.facts import fold
from services.penalty.domain.timers import OUTCOME_EVENTS
from services.penalty.service_layer import ledger
from services.penalty.service_layer.config import PenaltyConfig
from services.penalty.service_layer.exemptions import EXEMPTION_HANDLERS
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.messaging.consumer import batched_across_types
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.penalties import TieredAmount

SLA_APPLIED = ("SlaBreached", "SlaBreachClosed", "SlaBreachRetracted")


@batched_across_types
async def on_ticket_events(uow: UnitOfWork, events: list[Envelope]) -> None:
    """A run of consecutive ticket and call events, in their order (issue 13). Each is kept as a fact (observed view)
    and in the journal (replay and what-if read it, adapters/journal.py), a stretch of events at a time in three
    statements; an event that can move the ledger ends its stretch and is assessed right after it. So every
    assessment reads the ticket's history as it stood when its event was applied, as one event at a time would."""
    cfg: PenaltyConfig | None = uow.config
    stretch: list[Envelope] = []
    for event in events:
        stretch.append(event)
        if cfg is not None and _moves_ledger(cfg, event):
            await _keep(uow, stretch)
            stretch = []
            await _assess_event(uow, cfg, event)
    await _keep(uow, stretch)


def _moves_ledger(cfg: PenaltyConfig, event: Envelope) -> bool:
    """An act a clause is triggered by, a churn caused by a complaint (TT-9bis doubling), a reclassification (it
    may void a breached timer's rule). Every other ticket event is a fact only."""
    return (bool(cfg.penalties.on_event(event.type)) or event.type == "TicketReclassified"
            or (event.type == "CustomerChurned" and event.payload.caused_by_complaint))


async def _keep(uow: UnitOfWork, events: list[Envelope]) -> None:
    if events:
        await observed.record_all(uow, events)
        await journal.record_events(uow.conn, events)


async def _assess_event(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    if cfg.penalties.on_event(event.type):
        await _assess_act(uow, cfg, event)
    if event.type == "CustomerChurned" and event.payload.caused_by_complaint:
        await _churned(uow, cfg, event)
    elif event.type == "TicketReclassified":
        await _reclassified(uow, cfg, event)


async def _to_ledger(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    """One breach, close or retraction, on its own."""
    if event.type == "SlaBreached":
        await _breached(uow, cfg, event)
    elif event.type == "SlaBreachClosed":
        await _closed(uow, cfg, event)
    else:
        p = event.payload
        known = {str(event.event_id): _evidence(event)}
        await ledger.reverse_cause(uow, f"breach:{p.breach_event_id}", f"breach of {p.rule_id} retracted "
                                   f"(the stop happened at {p.actual.isoformat()}, in time)", known, cfg.tz,
                                   (str(p.breach_event_id), str(event.event_id)))


def _family(cfg: PenaltyConfig | None, rule_id: str) -> str:
    return cfg.family_of(rule_id) if cfg is not None else rule_id


def _evidence(event: Envelope, **more: Any) -> dict[str, Any]:
    return {"event_id": str(event.event_id), "type": event.type, "occurred_at": event.occurred_at.isoformat(),
            **more}


def _breach(event: Envelope) -> pa.Breach:
    p = event.payload
    breach_id = getattr(p, "breach_event_id", None) or event.event_id
    return pa.Breach(event_id=str(event.event_id), breach_event_id=str(breach_id), rule_id=p.rule_id,
                     department=p.department, person=p.person, start=p.start, deadline=p.deadline,
                     overdue_minutes=p.overdue_minutes, overdue_hours=p.overdue_hours, overdue_days=p.overdue_days,
                     paused_seconds=p.paused_seconds)


def _breach_evidence(event: Envelope) -> dict[str, Any]:
    p = event.payload
    return _evidence(event, rule_id=p.rule_id, start=p.start.isoformat(), deadline=p.deadline.isoformat(),
                     actual=p.actual.isoformat() if p.actual else None,
                     still_open_at=getattr(p, "still_open_at", None) and p.still_open_at.isoformat(),
                     overdue_minutes=p.overdue_minutes, paused_seconds=p.paused_seconds)


async def _breached(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    clauses = cfg.penalties.on_breach(event.payload.rule_id)
    if not clauses:
        return
    history = await repo.ticket_history(uow.conn, event.ticket_id)
    facts = fold(history)
    b = _breach(event)
    priors = await ledger.priors(uow, cfg.penalties, [c.clause for c in clauses], b.department or facts.department,
                                 b.deadline, cfg.tz)
    timeline = tuple((name, at) for name, _, at, _ in history)
    proposals = pa.assess_breach(cfg.penalties, b, facts, timeline, priors, cfg.tz)
    known = ledger.evidence_of(history) | {b.event_id: _breach_evidence(event)}
    await ledger.write(uow, proposals, event.ticket_id, known, cfg.tz)


async def _closed(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    if event.payload.breach_event_id is None or not cfg.penalties.on_breach(event.payload.rule_id):
        return
    b = _breach(event)
    entries = await repo.entries_of_cause(uow.conn, f"breach:{b.breach_event_id}")
    if any(e["kind"] == "reversal" for e in entries):
        return  # the breach was reversed: nothing more to charge
    assessed: dict[str, tuple[int, pa.Payer]] = {}
    for e in entries:
        leader = e["entry_key"].endswith("|leader")
        if e["kind"] in ("assessment", "adjustment") and "units" in e["numbers"] and not leader:
            units = e["numbers"].get("final_units", e["numbers"]["units"])
            held = assessed.get(e["clause"], (0, None))[0]
            assessed[e["clause"]] = (max(units, held), pa.Payer(e["payer_kind"], e["payer_id"], e["person"]))
    facts = fold(await repo.ticket_history(uow.conn, event.ticket_id))
    proposals = pa.close_breach(cfg.penalties, b, assessed, facts)
    known = {b.breach_event_id: {"event_id": b.breach_event_id, "type": "SlaBreached"},
             b.event_id: _breach_evidence(event)}
    await ledger.write(uow, proposals, event.ticket_id, known, cfg.tz)


async def _assess_act(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    history = await repo.ticket_history(uow.conn, event.ticket_id)
    facts = fold(history)
    payload = event.payload.model_dump(mode="json")
    clauses = [c.clause for c in cfg.penalties.on_event(event.type)]
    dept = payload.get("responsible_department") or payload.get("department") or facts.department
    priors = await ledger.priors(uow, cfg.penalties, clauses, dept, event.occurred_at, cfg.tz)
    proposals = pa.assess_act(cfg.penalties, event.type, str(event.event_id), event.occurred_at, payload, facts,
                              priors, cfg.tz)
    await ledger.write(uow, proposals, event.ticket_id, ledger.evidence_of(history), cfg.tz)


async def _churned(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    """TT-9bis VIP/group item doubles when the customer left because of the complaint: a delta per complaint."""
    by_cause: dict[str, list[dict]] = {}
    for e in await repo.group_entries_of_ticket(uow.conn, event.ticket_id):
        by_cause.setdefault(e["cause"], []).append(e)
    for cause, entries in by_cause.items():
        if any(e["kind"] in ("reversal", "churn") for e in entries):
            continue
        first = next((e for e in entries if e["kind"] == "assessment"), None)
        if first is None:
            continue
        already = sum(int(e["amount_fen"]) for e in entries if e["status"] != "cancelled")
        rescored = pa.rescore_on_churn(cfg.penalties, first["grp"], first["numbers"], already)
        if rescored is None:
            continue
        clause, comp = rescored
        p = pa.Proposal(clause, cause, "churn", pa.Payer(first["payer_kind"], first["payer_id"], first["person"]),
                        comp, first["cause_at"], (cause.split(":", 1)[1], str(event.event_id)), first["grp"])
        known = {str(event.event_id): _evidence(event)}
        await ledger.write(uow, [p], event.ticket_id, known, cfg.tz, reverses=first["id"])


async def _reclassified(uow: UnitOfWork, cfg: PenaltyConfig, event: Envelope) -> None:
    """A reclassification after which no rule of a breached timer's family applies voids that breach."""
    entries = await repo.breach_causes_of_ticket(uow.conn, event.ticket_id)
    if not entries:
        return
    facts = fold(await repo.ticket_history(uow.conn, event.ticket_id))
    rules = {r.rule_id: r for r in cfg.policy.timers}
    done: set[str] = set()
    for e in entries:
        rule_id = next((ev.get("rule_id") for ev in e["evidence"] if ev.get("rule_id")), None)
        if e["cause"] in done or rule_id not in rules:
            continue
        family = rules[rule_id].family_id
        conds = [r.applies_to for r in cfg.policy.timers if r.family_id == family]
        if pa.voided(conds, facts):
            done.add(e["cause"])
            known = {str(event.event_id): _evidence(event)}
            await ledger.reverse_cause(uow, e["cause"], f"{rule_id} no longer applies after reclassification "
                                       f"({event.payload.reason})", known, cfg.tz,
                                       (e["cause"].split(":", 1)[1], str(event.event_id)))


@batched_across_types
async def on_sla_events(uow: UnitOfWork, events: list[Envelope]) -> None:
    """A run of consecutive SLA events of any type, in their order (issue 13). Every outcome (SlaMet, SlaBreached,
    SlaBreachClosed, SlaBreachRetracted) goes to the journal and to the scorecards' timers, the run's in a few
    statements; warnings and due dates carry no money and are not kept. Then each breach, close and retraction moves
    the ledger in order: a stretch of consecutive SlaBreached whose clauses have no tier at once
    (`_breaches_at_once`), anything else one by one."""
    cfg: PenaltyConfig | None = uow.config
    outcomes = [e for e in events if e.type in OUTCOME_EVENTS]
    await journal.record_events(uow.conn, outcomes)
    await journal.record_timers(uow.conn, [(_family(cfg, e.payload.rule_id), e) for e in outcomes])
    if cfg is None:
        return
    for kind, stretch in groupby((e for e in events if e.type in SLA_APPLIED), key=lambda e: e.type):
        run = list(stretch)
        if kind == "SlaBreached" and len(run) > 1 and not _tiered(cfg, run):
            await _breaches_at_once(uow, cfg, run)
        else:
            for event in run:
                await _to_ledger(uow, cfg, event)


def _tiered(cfg: PenaltyConfig, breaches: list[Envelope]) -> bool:
    """A clause of these breaches counts a tier, which depends on the order of the cases before it."""
    rules = {e.payload.rule_id for e in breaches}
    return any(isinstance(c.amount, TieredAmount) for r in rules for c in cfg.penalties.on_breach(r))


async def _breaches_at_once(uow: UnitOfWork, cfg: PenaltyConfig, events: list[Envelope]) -> None:
    """Consecutive SlaBreached whose clauses have no tier, in a few statements (bench/penalty.py): each breach
    depends only on its ticket's history and the closed months, which the stretch does not change."""
    charged = [e for e in events if cfg.penalties.on_breach(e.payload.rule_id)]
    histories = await repo.ticket_histories(uow.conn, list({e.ticket_id for e in charged}))
    items = []
    for event in charged:
        history = histories[event.ticket_id]
        b = _breach(event)
        timeline = tuple((name, at) for name, _, at, _ in history)
        proposals = pa.assess_breach(cfg.penalties, b, fold(history), timeline, {}, cfg.tz)
        items.append((proposals, event.ticket_id, ledger.evidence_of(history) | {b.event_id: _breach_evidence(event)}))
    await ledger.write_many(uow, items, cfg.tz)


EVENT_HANDLERS: dict[str, Any] = {
    **{name: on_ticket_events for name in REGISTRY.names_on(TOPICS.tickets)},
    **{name: on_ticket_events for name in REGISTRY.names_on(TOPICS.calls)},  # CallHandled: kept for the scorecards
    **{name: on_sla_events for name in REGISTRY.names_on(TOPICS.sla)},
    **EXEMPTION_HANDLERS,  # gongdan.compensation: CT exemptions, out of the on-time rate (RULEBOOK §9.12)
}
