"""Read side: a ticket with its full timeline, filtered lists with cursor pagination, worklists and queues."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, literal, select, tuple_

from services.dispatch.adapters.tables import ticket_events, tickets
from services.dispatch.domain.backdating import backdating
from services.dispatch.domain.state import IN_HANDLING, Status
from shared.errors import Invalid, NotFound
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
    number: str | None = None
    phone: str | None = None
    account: str | None = None


def phone_key(column: Any) -> Any:
    """Digits only: a phone matches however it was spelled (027-8888 6666, 02788886666)."""
    return func.regexp_replace(column, "[^0-9]", "", "g")


def account_key(column: Any) -> Any:
    """Accounts compare without case, blanks or dashes."""
    return func.upper(func.regexp_replace(column, "[^[:alnum:]]", "", "g"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary(row: Any) -> dict[str, Any]:
    return {
        "ticket_id": str(row["id"]), "number": row["number"], "kind": row["kind"], "state": row["state"],
        "round": row["round"], "department": row["department"], "technician": row["technician"],
        "channel": row["channel"], "complaint_class": row["complaint_class"], "segment": row["segment"],
        "priority": row["priority"], "product": row["product"], "area_type": row["area_type"],
        "incident_id": str(row["incident_id"]) if row["incident_id"] else None,
        "received_at": _iso(row["received_at"]), "due_at": _iso(row["due_at"]), "due_rule": row["due_rule"],
        "promised_at": _iso(row["promised_at"]),
        "last_event_at": _iso(row["last_event_at"]),
    }


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID, flag_after: timedelta) -> dict[str, Any]:
    row = (await uow.conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    if row is None:
        raise NotFound(f"ticket {ticket_id} not known to dispatch (yet)")
    events = (await uow.conn.execute(
        select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.sequence)
    )).mappings().all()
    timeline = [{"sequence": e["sequence"], "event_id": str(e["event_id"]), "type": e["type"],
                 "actor": e["actor"], "role": e["role"], "producer": e["producer"],
                 "occurred_at": _iso(e["occurred_at"]), "recorded_at": _iso(e["recorded_at"]),
                 "backdated": backdating(e["occurred_at"], e["recorded_at"], flag_after),
                 "payload": e["envelope"]["payload"]} for e in events]
    return summary(row) | {
        "customer": row["customer"], "description": row["description"], "last_sequence": row["last_sequence"],
        "events_applied": row["events_applied"], "paused_seconds": row["paused_seconds"], "timeline": timeline,
    }


def _overdue(now: datetime):
    # due_at is an SLA deadline: customer pauses are already in it
    return and_(tickets.c.due_at.is_not(None), tickets.c.state.in_(WORKING), tickets.c.due_at < now)


def _filtered(f: TicketFilter, now: datetime) -> Select:
    query = select(tickets)
    for column, value in (("state", f.state), ("kind", f.kind), ("department", f.department),
                          ("technician", f.technician), ("segment", f.segment), ("incident_id", f.incident)):
        if value is not None:
            query = query.where(tickets.c[column] == value)
    if f.overdue is not None:
        query = query.where(_overdue(now) if f.overdue else ~_overdue(now))
    if f.number is not None:
        query = query.where(tickets.c.number == f.number)
    if f.phone is not None:
        query = query.where(phone_key(tickets.c.customer["phone"].astext) == phone_key(literal(f.phone)))
    if f.account is not None:
        query = query.where(account_key(tickets.c.customer["account"].astext) == account_key(literal(f.account)))
    return query


def encode_cursor(received_at: datetime, ticket_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{ticket_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        received_at = datetime.fromisoformat(at)
        if received_at.tzinfo is None:
            raise ValueError("naive")
        return received_at, uuid.UUID(ticket_id)
    except ValueError:
        raise Invalid("invalid cursor", fields=[{"field": "cursor", "in": "query", "rule": "cursor",
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
    return row["due_at"] is not None and row["due_at"] < now


async def backdated_acts(uow: UnitOfWork, flag_after: timedelta, since: datetime | None, limit: int,
                         before_sequence: tuple[datetime, int] | None = None) -> list[dict[str, Any]]:
    """RULEBOOK §9.13 audit list: acts recorded more than `flag_after` after their field time, newest first."""
    e, t = ticket_events, tickets
    query = (
        select(e.c.ticket_id, e.c.sequence, e.c.event_id, e.c.type, e.c.actor, e.c.role, e.c.occurred_at,
               e.c.recorded_at, t.c.number)
        .join(t, t.c.id == e.c.ticket_id)
        .where(e.c.recorded_at - e.c.occurred_at > flag_after)
        .order_by(e.c.recorded_at.desc(), e.c.event_id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(e.c.recorded_at >= since)
    rows = (await uow.conn.execute(query)).mappings().all()
    return [{"ticket_id": str(r["ticket_id"]), "number": r["number"], "sequence": r["sequence"],
             "event_id": str(r["event_id"]), "type": r["type"], "actor": r["actor"], "role": r["role"],
             "occurred_at": _iso(r["occurred_at"]), "recorded_at": _iso(r["recorded_at"]),
             "backdated": backdating(r["occurred_at"], r["recorded_at"], flag_after)} for r in rows]
