"""Intake use cases: turn a validated command into stored state plus outgoing events."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from services.intake.adapters.tables import ticket_number_seq, tickets
from services.intake.domain.intake import LogTicket, field_time_problem
from services.intake.domain.numbering import number_for
from shared.events import new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.http.auth import Principal
from shared.http.errors import DomainError
from shared.http.idempotency import StoredResponse
from shared.messaging.unit_of_work import UnitOfWork

DEPARTMENT_CODE = "KF"  # 客服 customer service: the hotline platform logs every ticket


async def log_ticket(uow: UnitOfWork, cmd: LogTicket, principal: Principal, tz: ZoneInfo) -> StoredResponse:
    now = uow.now()
    occurred = cmd.occurred_at or now
    if problem := field_time_problem(occurred, now):
        raise DomainError(422, problem, fields=[{"field": "occurred_at", "in": "body", "rule": "field-time",
                                                 "message": problem}])
    sequence = (await uow.conn.execute(select(ticket_number_seq.next_value()))).scalar_one()
    number = number_for(occurred, DEPARTMENT_CODE, sequence, tz)
    ticket_id = uuid.uuid4()
    c = cmd.customer
    await uow.conn.execute(
        insert(tickets).values(
            id=ticket_id, number=number, kind=cmd.kind, customer_name=c.name, phone=c.phone, address=c.address,
            account=c.account, description=cmd.description, created_by=principal.name,
            occurred_at=occurred, recorded_at=now,
        )
    )
    payload = TicketCreated(
        ticket_id=ticket_id, number=number, kind=cmd.kind,
        customer=Customer(name=c.name, phone=c.phone, address=c.address, account=c.account),
        description=cmd.description, created_by=principal.name,
    )
    envelope = new_envelope(payload, ticket_id=ticket_id, sequence=1, occurred_at=occurred, recorded_at=now,
                            producer="intake")
    uow.publish(envelope)
    return StoredResponse(201, {"ticket_id": str(ticket_id), "number": number, "state": "received",
                                "event_id": str(envelope.event_id), "occurred_at": occurred.isoformat()})


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict:
    row = (await uow.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    if row is None:
        raise DomainError(404, f"ticket {ticket_id} not found")
    return {
        "ticket_id": str(row["id"]), "number": row["number"], "kind": row["kind"],
        "customer": {"name": row["customer_name"], "phone": row["phone"], "address": row["address"],
                     "account": row["account"]},
        "description": row["description"], "created_by": row["created_by"],
        "occurred_at": row["occurred_at"].isoformat(), "recorded_at": row["recorded_at"].isoformat(),
    }
