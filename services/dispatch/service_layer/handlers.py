"""Dispatch's consumer: tickets logged by intake (and what intake records on them) join dispatch's streams."""

from __future__ import annotations

from services.dispatch.adapters import event_store as store
from services.dispatch.domain.ticket import evolve, fold
from shared.events import Envelope
from shared.messaging.consumer import Handler
from shared.messaging.unit_of_work import UnitOfWork

#: Facts intake records on a ticket (first contact, recording, outage link, GX-5.3.1 repeat report).
INTAKE_FACTS = ("CallRecordingAttached", "TicketLinkedToIncident", "ResolvedAtFirstContact", "DuplicateReportLinked")


async def on_ticket_created(uow: UnitOfWork, event: Envelope) -> None:
    """A new stream: TicketCreated is its first event."""
    state = fold([event])
    await store.create_projection(uow.conn, state, event, uow.now())
    await store.append(uow.conn, [event], 1)


async def on_intake_fact(uow: UnitOfWork, event: Envelope) -> None:
    """Append a fact intake recorded; dispatch's own events on the topic are already in its streams."""
    if event.producer != "intake":
        return
    if not await store.lock_ticket(uow.conn, event.ticket_id):
        raise LookupError(f"{event.type} for ticket {event.ticket_id} that dispatch does not know")
    state = fold(await store.load_stream(uow.conn, event.ticket_id))
    await store.append(uow.conn, [event], state.version + 1)
    await store.save_projection(uow.conn, evolve(state, event.payload, event.occurred_at), uow.now())


EVENT_HANDLERS: dict[str, Handler] = {
    "TicketCreated": on_ticket_created,
    **{name: on_intake_fact for name in INTAKE_FACTS},
}
