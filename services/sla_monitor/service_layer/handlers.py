"""Lifecycle events -> timers: load the tickets' contexts and timers, decide with the pure core
(services/sla_monitor/domain/decide.py, where the rules of starting, stopping, pausing and late stops are written
down), then save and emit, in the consumer's transaction; a consumed batch at a time. Incident events go to
`incidents`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from services.sla_monitor.adapters import repository as repo
from services.sla_monitor.adapters.tables import observed
from services.sla_monitor.domain.decide import Decision, Emit, Fact, Key, decide
from services.sla_monitor.domain.ticket import TicketContext
from services.sla_monitor.domain.timers import Timer
from services.sla_monitor.service_layer import emit, incidents
from services.sla_monitor.service_layer.config import SlaConfig
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.messaging.consumer import batched_across_types
from shared.messaging.unit_of_work import UnitOfWork


@batched_across_types
async def on_lifecycle_events(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Record the facts (observed view) and apply them, in order, to their tickets' (or incidents') timers."""
    facts = [Fact(e.type, e.payload.model_dump(mode="json"), e.occurred_at) for e in events]
    await observed.record_all(uow, events, [f.payload for f in facts])
    run: list[tuple[Envelope, Fact]] = []
    for event, fact in zip(events, facts, strict=True):
        if event.type in incidents.INCIDENT_EVENTS:
            await apply_all(uow, uow.config, run)
            run = []
            await incidents.apply(uow, uow.config, event)
        else:
            run.append((event, fact))
    await apply_all(uow, uow.config, run)


@dataclass
class _Ticket:
    """One ticket's context and timers while a batch is folded in memory; what to write back at the end."""

    ctx: TicketContext
    timers: dict[Key, Timer]
    new: set[Key] = field(default_factory=set)
    changed: set[Key] = field(default_factory=set)

    def take(self, d: Decision) -> None:
        self.ctx, self.timers = d.ctx, d.timers
        self.new.update(d.started)
        self.changed.update(k for k in d.changed if k not in self.new)


async def apply_all(uow: UnitOfWork, cfg: SlaConfig, events: list[tuple[Envelope, Fact]]) -> None:
    """Lifecycle events of a batch: load every ticket once → decide each event in order → save and emit.

    The same as loading, deciding and saving one event at a time (each decision sees the one before it), in a
    handful of statements per batch instead of several per event (issue 13)."""
    if not events:
        return
    conn = uow.conn
    ids = list(dict.fromkeys(e.ticket_id for e, _ in events))
    contexts, stored = await repo.load_tickets(conn, ids), await repo.tickets_timers(conn, ids)
    tickets = {tid: _Ticket(contexts[tid], {(t.family, t.round): t for t in stored[tid]}) for tid in ids}
    sequences = repo.Sequences(conn, block=2 * len(events))
    for event, fact in events:
        ticket = tickets[event.ticket_id]
        decision = decide(event.ticket_id, ticket.ctx, list(ticket.timers.values()), fact, cfg.rules,
                          cfg.calendars, uow.now())
        for step in decision.emits:
            await _emit(uow, decision, step, event, await sequences.next())
        ticket.take(decision)
    await repo.save_timers(conn, [t.timers[k] for t in tickets.values() for k in t.changed], cfg.grace)
    await repo.insert_timers(conn, [t.timers[k] for t in tickets.values() for k in t.new], cfg.grace)
    await repo.save_tickets(conn, {tid: t.ctx for tid, t in tickets.items()})


async def _emit(uow: UnitOfWork, d: Decision, step: Emit, cause: Envelope, sequence: int) -> None:
    timer = d.timers[step.key] if step.key else None
    if step.kind == "due":
        await emit.due_changed(uow, d.ticket_id, d.ctx.round, timer, cause, sequence)
        return
    assert timer is not None and step.at is not None
    if step.kind == "met":
        await emit.met(uow, timer, step.at, cause, sequence)
    elif step.kind == "retracted":
        await emit.retracted(uow, timer, step.at, cause, sequence)
    elif step.kind == "closed_late":
        await emit.closed_late(uow, timer, step.at, cause, sequence)
    else:  # the breach carries its own event id, which the timer row keeps (for a later retraction)
        sent = await emit.breach(uow, timer, actual=step.at, now=uow.now(), cause=cause, sequence=sequence)
        d.timers[step.key] = replace(timer, breach_event_id=sent.event_id)


EVENT_HANDLERS = {name: on_lifecycle_events for name in REGISTRY.names_on(TOPICS.tickets)}
