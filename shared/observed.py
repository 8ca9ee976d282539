"""The ticket facts a downstream service has seen (sla_monitor, penalty, compensation): every event it
consumed for a ticket, in order. Later issues build timers, penalties and payouts on these facts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Uuid, select, text
from sqlalchemy.dialects.postgresql import JSONB

from shared.errors import NotFound
from shared.events import Envelope
from shared.events.catalog import TicketCreated
from shared.http.auth import Principal, Role, require
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.unnest import Unnest
from shared.service import RuntimeDep


class ObservedTables:
    def __init__(self, metadata: MetaData) -> None:
        self.tickets = Table(
            "observed_tickets",
            metadata,
            Column("ticket_id", Uuid, primary_key=True),
            Column("number", String(40)),
            Column("kind", String(20)),
            Column("received_at", DateTime(timezone=True)),
            Column("events_applied", Integer, nullable=False),
        )
        self.events = Table(
            "observed_events",
            metadata,
            Column("event_id", Uuid, primary_key=True),
            Column("ticket_id", Uuid, nullable=False, index=True),
            Column("type", String(60), nullable=False),
            Column("sequence", Integer, nullable=False),
            Column("producer", String(40), nullable=False),
            Column("occurred_at", DateTime(timezone=True), nullable=False),
            Column("recorded_at", DateTime(timezone=True), nullable=False),
            Column("payload", JSONB, nullable=False),
        )
        events = Unnest(self.events, [c.name for c in self.events.c])
        self._insert_events = (text(events.insert()), events)
        tickets = Unnest(self.tickets, ["ticket_id", "number", "kind", "received_at", "events_applied"])
        kept = ", ".join(f"{c} = coalesce(EXCLUDED.{c}, observed_tickets.{c})" for c in ("number", "kind", "received_at"))
        self._upsert_tickets = (text(tickets.insert(
            "ON CONFLICT (ticket_id) DO UPDATE SET events_applied = observed_tickets.events_applied + "
            f"EXCLUDED.events_applied, {kept}")), tickets)

    async def record(self, uow: UnitOfWork, event: Envelope) -> None:
        """Keep the event and count it against its ticket (a count of 2 for one event would be a double apply)."""
        await self.record_all(uow, [event])

    async def record_all(self, uow: UnitOfWork, events: list[Envelope], payloads: list[dict] | None = None) -> None:
        """`record` for a consumed batch in two statements (the events, one upsert per ticket); `payloads`:
        the events' payloads in JSON form, when the caller has them already."""
        if not events:
            return
        payloads = payloads or [e.payload.model_dump(mode="json") for e in events]
        stmt, events_ = self._insert_events
        await uow.conn.execute(stmt, events_.params([
            {"event_id": e.event_id, "ticket_id": e.ticket_id, "type": e.type, "sequence": e.sequence,
             "producer": e.producer, "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
             "payload": payload} for e, payload in zip(events, payloads, strict=True)]))
        per_ticket: dict[uuid.UUID, dict] = {}
        for e in events:
            row = per_ticket.setdefault(e.ticket_id, {"ticket_id": e.ticket_id, "events_applied": 0, "number": None,
                                                      "kind": None, "received_at": None})
            row["events_applied"] += 1
            if isinstance(e.payload, TicketCreated):
                row |= {"number": e.payload.number, "kind": e.payload.kind, "received_at": e.occurred_at}
        stmt, tickets = self._upsert_tickets  # in ticket order: instances lock rows in the same order
        await uow.conn.execute(stmt, tickets.params([per_ticket[k] for k in sorted(per_ticket)]))

    async def view(self, uow: UnitOfWork, ticket_id: uuid.UUID, service: str) -> dict:
        ticket = (await uow.conn.execute(select(self.tickets).where(self.tickets.c.ticket_id == ticket_id))).first()
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} not seen by {service} (yet)")
        events = (
            await uow.conn.execute(
                select(self.events).where(self.events.c.ticket_id == ticket_id)
                .order_by(self.events.c.occurred_at, self.events.c.sequence)
            )
        ).mappings().all()
        return {
            "ticket_id": str(ticket_id), "service": service, "number": ticket.number, "kind": ticket.kind,
            "received_at": ticket.received_at.isoformat() if ticket.received_at else None,
            "events_applied": ticket.events_applied,
            "events": [
                {"event_id": str(e["event_id"]), "type": e["type"], "sequence": e["sequence"],
                 "producer": e["producer"], "occurred_at": e["occurred_at"].isoformat(),
                 "recorded_at": e["recorded_at"].isoformat()}
                for e in events
            ],
        }

    def router(self, service: str, view_name: str, roles: tuple[Role, ...]) -> APIRouter:
        router = APIRouter(tags=["tickets"])
        authorised = Depends(require(*roles))

        @router.get(f"/tickets/{{ticket_id}}/{view_name}", summary=f"What {service} has seen of a ticket")
        async def read(ticket_id: uuid.UUID, rt: RuntimeDep, principal: Principal = authorised) -> dict:
            async with rt.new_uow() as uow:
                return await self.view(uow, ticket_id, service)

        return router


def create_observed_tables_migration() -> None:
    """For the first migration of a downstream service."""
    from alembic import op

    tables = ObservedTables(MetaData())
    bind = op.get_bind()
    tables.tickets.create(bind)
    tables.events.create(bind)
