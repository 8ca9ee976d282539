"""Read side: a ticket with its full timeline, filtered lists with cursor pagination, worklists and queues."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select, tuple_

from services.dispatch.adapters.tables import ticket_events, tickets
from services.dispatch.domain.state import IN_HANDLING, Status
from shared.http.errors import DomainError
from shared.messaging.unit_of_work import UnitOfWork

WORKING = sorted(s.value for s in IN_HANDLING | {Status.paused})


@dataclass(frozen=True)
class TicketFilter:
    """GET /tickets filters; None means any."""

    state: str | None = None
    kind: str | None = None
    department: str | None = None
    technician: str | None = None
    segment: str | None = None
    incident: uuid.UUID | None = None
    overdue: bool | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary(row: Any) -> dict[str, Any]:
    return {
        "ticket_id": str(row["id"]), "number": row["number"], "kind": row["kind"], "state": row["state"],
        "round": row["round"], "department": row["department"], "technician": row["technician"],
        "channel": row["channel"], "complaint_class": row["complaint_class"], "segment": row["segment"],
        "priority": row["priority"], "product": row["product"], "area_type": row["area_type"],
        "incident_id": str(row["incident_id"]) if row["incident_id"] else None,
        "received_at": _iso(row["received_at"]), "due_at": _iso(row["due_at"]),
        "last_event_at": _iso(row["last_event_at"]),
    }


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict[str, Any]:
    row = (await uow.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    if row is None:
        raise DomainError(404, f"ticket {ticket_id} not known to dispatch (yet)")
    events = (await uow.conn.execute(
        select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.sequence)
    )).mappings().all()
    timeline = [{"sequence": e["sequence"], "event_id": str(e["event_id"]), "type": e["type"],
                 "actor": e["actor"], "role": e["role"], "producer": e["producer"],
                 "occurred_at": _iso(e["occurred_at"]), "recorded_at": _iso(e["recorded_at"]),
                 "payload": e["envelope"]["payload"]} for e in events]
    return summary(row) | {
        "customer": row["customer"], "description": row["description"], "last_sequence": row["last_sequence"],
        "events_applied": row["events_applied"], "paused_seconds": row["paused_seconds"], "timeline": timeline,
    }


def _overdue(now: datetime):
    deadline = tickets.c.due_at + func.make_interval(0, 0, 0, 0, 0, 0, tickets.c.paused_seconds)
    return and_(tickets.c.due_at.is_not(None), tickets.c.state.in_(WORKING), deadline < now)


def _filtered(f: TicketFilter, now: datetime) -> Select:
    query = select(tickets)
    for column, value in (("state", f.state), ("kind", f.kind), ("department", f.department),
                          ("technician", f.technician), ("segment", f.segment), ("incident_id", f.incident)):
        if value is not None:
            query = query.where(tickets.c[column] == value)
    if f.overdue is not None:
        query = query.where(_overdue(now) if f.overdue else ~_overdue(now))
    return query


def encode_cursor(received_at: datetime, ticket_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{ticket_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(ticket_id)
    except ValueError:
        raise DomainError(422, "invalid cursor", fields=[{"field": "cursor", "in": "query", "rule": "cursor",
                                                          "message": "use next_cursor from the previous page"}]) from None


async def list_tickets(uow: UnitOfWork, f: TicketFilter, limit: int, cursor: str | None) -> dict[str, Any]:
    """Oldest received first; `next_cursor` continues after the last item (stable under inserts)."""
    query = _filtered(f, uow.now())
    if cursor:
        after = decode_cursor(cursor)
        query = query.where(tuple_(tickets.c.received_at, tickets.c.id) > after)
    query = query.order_by(tickets.c.received_at, tickets.c.id).limit(limit + 1)
    rows = (await uow.conn.execute(query)).mappings().all()
    page = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode_cursor(page[-1]["received_at"], page[-1]["id"]) if more else None
    return {"items": [summary(r) for r in page], "next_cursor": next_cursor}


async def work_in_hand(uow: UnitOfWork, *, department: str | None = None,
                       technician: str | None = None) -> dict[str, Any]:
    """Tickets being worked by a department or technician, most urgent deadline first."""
    query = select(tickets).where(tickets.c.state.in_(WORKING))
    if department is not None:
        query = query.where(tickets.c.department == department)
    if technician is not None:
        query = query.where(tickets.c.technician == technician)
    query = query.order_by(tickets.c.due_at.asc().nulls_last(), tickets.c.received_at, tickets.c.id)
    rows = (await uow.conn.execute(query)).mappings().all()
    now = uow.now()
    items = [summary(r) | {"overdue": _is_overdue(r, now)} for r in rows]
    return {"items": items, "count": len(items)}


def _is_overdue(row: Any, now: datetime) -> bool:
    due = row["due_at"]
    return due is not None and due + timedelta(seconds=row["paused_seconds"]) < now
