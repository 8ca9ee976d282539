"""Lifecycle events -> timers: load the ticket's context and timers, decide with the pure core
(services/sla_monitor/domain/decide.py, where the rules of starting, stopping, pausing and late stops are written
down), then save and emit, in the consumer's transaction. Incident events go to `incidents`."""

from __future__ import annotations

from dataclasses import replace

from services.sla_monitor.adapters import repository as repo
from services.sla_monitor.adapters.tables import observed
from services.sla_monitor.domain.decide import Decision, Emit, Fact, decide
from services.sla_monitor.service_layer import emit, incidents
from services.sla_monitor.service_layer.config import SlaConfig
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.messaging.unit_of_work import UnitOfWork


async def on_lifecycle_event(uow: UnitOfWork, event: Envelope) -> None:
    """Record the fact (observed view) and apply it to the ticket's (or the incident's) timers."""
    await observed.record(uow, event)
    if event.type in incidents.INCIDENT_EVENTS:
        await incidents.apply(uow, uow.config, event)
    else:
        await apply(uow, uow.config, event)


async def apply(uow: UnitOfWork, cfg: SlaConfig, event: Envelope) -> None:
    """One lifecycle event: load → decide → save and emit."""
    conn = uow.conn
    before = await repo.load_ticket(conn, event.ticket_id)
    timers = await repo.ticket_timers(conn, event.ticket_id, lock=True)
    fact = Fact(event.type, event.payload.model_dump(mode="json"), event.occurred_at)
    decision = decide(event.ticket_id, before, timers, fact, cfg.rules, cfg.calendars, uow.now())
    for step in decision.emits:
        await _emit(uow, decision, step, event)
    for key in decision.changed:
        await repo.save_timer(conn, decision.timers[key], cfg.grace)
    for key in decision.started:
        await repo.insert_timer(conn, decision.timers[key], cfg.grace)
    await repo.save_ticket(conn, event.ticket_id, decision.ctx)


async def _emit(uow: UnitOfWork, d: Decision, step: Emit, cause: Envelope) -> None:
    timer = d.timers[step.key] if step.key else None
    if step.kind == "due":
        await emit.due_changed(uow, d.ticket_id, d.ctx.round, timer, cause)
        return
    assert timer is not None and step.at is not None
    if step.kind == "met":
        await emit.met(uow, timer, step.at, cause)
    elif step.kind == "retracted":
        await emit.retracted(uow, timer, step.at, cause)
    elif step.kind == "closed_late":
        await emit.closed_late(uow, timer, step.at, cause)
    else:  # the breach carries its own event id, which the timer row keeps (for a later retraction)
        sent = await emit.breach(uow, timer, actual=step.at, now=uow.now(), cause=cause)
        d.timers[step.key] = replace(timer, breach_event_id=sent.event_id)


EVENT_HANDLERS = {name: on_lifecycle_event for name in REGISTRY.names_on(TOPICS.tickets)}
