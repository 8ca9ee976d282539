"""Intake's projection of the ticket topic: ticket status (for GX-5.3.1) and outages (RULEBOOK §7)."""

from __future__ import annotations

from services.intake.adapters import repository as repo
from services.intake.adapters.repository import INCIDENTS_VIEW
from services.intake.domain.status import TRACKED, follow
from shared.events import Envelope
from shared.events.lifecycle import OutageDeclared, OutageRestored
from shared.messaging.consumer import Handler, batched_across_types
from shared.messaging.unit_of_work import UnitOfWork


@batched_across_types
async def on_status_events(uow: UnitOfWork, events: list[Envelope]) -> None:
    """Move intake's view of each ticket's status along with a run of lifecycle events: the run's tickets read
    (and locked) in one statement, folded in order in pure code, the ones that moved written back in one."""
    before = await repo.lock_statuses(uow.conn, list(dict.fromkeys(e.ticket_id for e in events)))
    after = follow(before, ((e.ticket_id, e.type, e.payload) for e in events))
    await repo.save_statuses(uow.conn, {tid: status for tid, status in after.items() if status != before[tid]})


async def on_outage_declared(uow: UnitOfWork, event: Envelope) -> None:
    p: OutageDeclared = event.payload
    uow.changed(INCIDENTS_VIEW)
    await repo.save_incident(uow.conn, {
        "id": p.incident_id, "area": p.area, "districts": list(p.districts), "cause": p.cause, "planned": p.planned,
        "products": [product.value for product in p.products], "starts_at": p.starts_at,
        "estimated_restore_at": p.estimated_restore_at,
    })


async def on_outage_restored(uow: UnitOfWork, event: Envelope) -> None:
    p: OutageRestored = event.payload
    uow.changed(INCIDENTS_VIEW)
    await repo.restore_incident(uow.conn, p.incident_id, p.restored_at)


EVENT_HANDLERS: dict[str, Handler] = {
    **{name: on_status_events for name in TRACKED},
    "OutageDeclared": on_outage_declared,
    "OutageRestored": on_outage_restored,
}
