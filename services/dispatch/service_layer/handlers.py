"""Dispatch's consumer: tickets logged by intake (and what intake records on them) join dispatch's streams."""

from __future__ import annotations

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


async def on_intake_fact(uow: UnitOfWork, event: Envelope) -> None:
    """Append a fact intake recorded; dispatch's own events on the topic are already in its streams."""
    if event.producer != "intake":
        return
    state = await store.load_locked(uow.conn, event.ticket_id)
    if state is None:
        raise LookupError(f"{event.type} for ticket {event.ticket_id} that dispatch does not know")
    await store.append(uow.conn, [event], state.version + 1)
    await store.save_projection(uow.conn, evolve(state, event.payload, event.occurred_at), uow.now())


EVENT_HANDLERS: dict[str, Handler] = {
    "TicketCreated": on_tickets_created,
    "TicketDueChanged": on_due_changed,
    **{name: on_intake_fact for name in INTAKE_FACTS},
}
