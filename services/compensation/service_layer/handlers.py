"""Consumed events -> claims: every ticket event is kept (observed facts) and the ticket's claims recomputed."""

from __future__ import annotations

from services.compensation.adapters.tables import observed
from services.compensation.service_layer.claims import recompute
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.messaging.unit_of_work import UnitOfWork

#: Events that can change a claim; the rest are kept as facts only.
RELEVANT = frozenset({"TicketCreated", "TicketReclassified", "Resolved", "ResolvedAtFirstContact",
                      "CallRecordingAttached", "AppointmentBooked", "AppointmentMissed", "AppointmentRebooked",
                      "TicketPaused", "TicketResumed"})


async def on_ticket_event(uow: UnitOfWork, event: Envelope) -> None:
    await observed.record(uow, event)
    if event.type in RELEVANT:
        await recompute(uow, event.ticket_id)


EVENT_HANDLERS = {name: on_ticket_event for name in REGISTRY.names_on(TOPICS.tickets)}
