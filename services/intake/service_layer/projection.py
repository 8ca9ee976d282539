"""Intake's projection of the ticket topic: ticket status (for GX-5.3.1) and outages (RULEBOOK §7)."""

from __future__ import annotations

from services.intake.adapters import repository as repo
from services.intake.domain.status import TRACKED
from shared.events import Envelope
from shared.events.lifecycle import OutageDeclared, OutageRestored
from shared.messaging.consumer import Handler
from shared.messaging.unit_of_work import UnitOfWork


async def on_status_event(uow: UnitOfWork, event: Envelope) -> None:
    await repo.follow_status(uow.conn, event.ticket_id, event.type, event.payload)


async def on_outage_declared(uow: UnitOfWork, event: Envelope) -> None:
    p: OutageDeclared = event.payload
    await repo.save_incident(uow.conn, {
        "id": p.incident_id, "area": p.area, "districts": list(p.districts), "cause": p.cause, "planned": p.planned,
        "products": [product.value for product in p.products], "starts_at": p.starts_at,
        "estimated_restore_at": p.estimated_restore_at,
    })


async def on_outage_restored(uow: UnitOfWork, event: Envelope) -> None:
    p: OutageRestored = event.payload
    await repo.restore_incident(uow.conn, p.incident_id, p.restored_at)


EVENT_HANDLERS: dict[str, Handler] = {
    **{name: on_status_event for name in TRACKED},
    "OutageDeclared": on_outage_declared,
    "OutageRestored": on_outage_restored,
}
