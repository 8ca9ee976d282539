"""Dispatch's consumer: tickets logged by intake (and what intake records on them) join dispatch's streams."""

from __future__ import annotations

import uuid

from services.dispatch.adapters import event_store as store
from services.dispatch.domain.ticket import evolve, fold
from shared.events import Envelope
from shared.messaging.consumer import Handler, batched
from shared.messaging.unit_of_work import UnitOfWork

#: Facts intake records on a ticket (first contact, recording, outage link, GX-5.3.1 repeat report).
INTAKE_FACTS = ("CallRecordingAttached", "TicketLinkedToIncident", "ResolvedAtFirstContact", "DuplicateReportLinked")


@batched
async def on_tickets_created(uow: UnitOfWork, events: list[Envelope]) -> None:
    """New streams: TicketCreated is each one's first event (applied a run at a time: two statements per run)."""
    await store.create_projections(uow.conn, [(fold([e]), e) for e in events], uow.now())
    await store.start_streams(uow.conn, events)
    await store.apply_known_deadlines(uow.conn, [e.ticket_id for e in events])


async def on_due_changed(uow: UnitOfWork, event: Envelope) -> None:
    """sla_monitor moved the ticket's earliest running deadline: `due_at` and the overdue filter follow it."""
    due = event.payload
    await store.record_deadline(uow.conn, due.ticket_id, due.due_at, due.rule_id, due.round)


@batched
async def on_intake_facts(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Append facts intake recorded (a run of one type at a time: per ticket one load, one append, one projection
    update, so 500 repeat reports of one fault cost one of each); dispatch's own events are already in its streams."""
    by_ticket: dict[uuid.UUID, list[Envelope]] = {}
    for event in events:
        if event.producer == "intake":
            by_ticket.setdefault(event.ticket_id, []).append(event)
    for ticket_id in sorted(by_ticket):  # a fixed lock order
        facts = by_ticket[ticket_id]
        state = await store.load_locked(uow.conn, ticket_id)
        if state is None:
            raise LookupError(f"{facts[0].type} for ticket {ticket_id} that dispatch does not know")
        await store.append(uow.conn, facts, state.version + 1)
        for fact in facts:
            state = evolve(state, fact.payload, fact.occurred_at)
        await store.save_projection(uow.conn, state, uow.now())


EVENT_HANDLERS: dict[str, Handler] = {
    "TicketCreated": on_tickets_created,
    "TicketDueChanged": on_due_changed,
    **{name: on_intake_facts for name in INTAKE_FACTS},
}
