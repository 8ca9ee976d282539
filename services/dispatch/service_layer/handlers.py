"""Dispatch projections: fold incoming ticket events into the dispatch desk's view."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.dispatch.adapters.tables import tickets
from shared.events import Envelope
from shared.events.catalog import TicketCreated
from shared.http.errors import DomainError
from shared.messaging.unit_of_work import UnitOfWork


async def on_ticket_created(uow: UnitOfWork, event: Envelope) -> None:
    p: TicketCreated = event.payload
    await uow.conn.execute(
        insert(tickets)
        .values(
            id=p.ticket_id, number=p.number, kind=p.kind, state="received",
            customer=p.customer.model_dump(), description=p.description, received_at=event.occurred_at,
            last_sequence=event.sequence, events_applied=1, updated_at=uow.now(),
        )
        .on_conflict_do_update(
            index_elements=[tickets.c.id],
            set_={"events_applied": tickets.c.events_applied + 1, "updated_at": uow.now()},
        )
    )


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict:
    row = (await uow.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    if row is None:
        raise DomainError(404, f"ticket {ticket_id} not known to dispatch (yet)")
    return {
        "ticket_id": str(row["id"]), "number": row["number"], "kind": row["kind"], "state": row["state"],
        "customer": row["customer"], "description": row["description"],
        "received_at": row["received_at"].isoformat(), "last_sequence": row["last_sequence"],
        "events_applied": row["events_applied"],
    }


EVENT_HANDLERS = {"TicketCreated": on_ticket_created}
