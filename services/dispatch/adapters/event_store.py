"""The ticket event store: load a ticket (locked), append at the next sequences, keep the projection in step.

The projection row keeps a snapshot of the folded state (domain/snapshot.py), written in the same statement as the
rest of the projection after every append; loading a ticket reads it and folds only the events after it (normally
none), so a command costs the same at event 10,001 as at event 10 (issue 13).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.adapters.tables import ticket_deadlines, ticket_events, tickets
from services.dispatch.domain import snapshot
from services.dispatch.domain.state import TicketState
from services.dispatch.domain.ticket import evolve, fold
from shared.events import Envelope, decode


class ConcurrentAppend(Exception):
    """Another writer appended at the same sequence first (the unique key refused ours)."""


class NoStream(Exception):
    """The ticket is known but has no events (logged before dispatch kept event streams, migration 0002)."""


async def load_stream(conn: AsyncConnection, ticket_id: uuid.UUID, after: int = 0) -> list[Envelope]:
    """The ticket's events after sequence `after` (all by default) in stream order, as typed envelopes."""
    rows = (await conn.execute(
        select(ticket_events.c.envelope)
        .where(ticket_events.c.ticket_id == ticket_id, ticket_events.c.sequence > after)
        .order_by(ticket_events.c.sequence)
    )).scalars().all()
    return [decode(json.dumps(row).encode()) for row in rows]


async def load_locked(conn: AsyncConnection, ticket_id: uuid.UUID) -> TicketState | None:
    """The ticket's folded state with its row locked (one writer per ticket); None when dispatch does not know it.

    Its snapshot plus the events after it; without a usable snapshot (a ticket from before migration 0007, or a
    snapshot of an older `TicketState` shape) the whole stream, and the next save writes the snapshot."""
    row = (await conn.execute(select(tickets.c.snapshot).where(tickets.c.id == ticket_id).with_for_update())).first()
    if row is None:
        return None
    state = snapshot.restore(row.snapshot)
    later = await load_stream(conn, ticket_id, after=state.version if state else 0)
    if state is None:
        if not later:
            raise NoStream(f"ticket {ticket_id} has no event stream in dispatch")
        return fold(later)
    for envelope in later:
        state = evolve(state, envelope.payload, envelope.occurred_at)
    return state


def _row(envelope: Envelope, sequence: int) -> dict[str, Any]:
    payload = envelope.payload
    role = getattr(payload, "role", None)
    return {
        "ticket_id": envelope.ticket_id, "sequence": sequence, "event_id": envelope.event_id,
        "type": envelope.type, "producer": envelope.producer, "actor": getattr(payload, "actor", None),
        "role": role.value if role is not None else None, "occurred_at": envelope.occurred_at,
        "recorded_at": envelope.recorded_at, "envelope": envelope.model_dump(mode="json"),
    }


async def append(conn: AsyncConnection, envelopes: list[Envelope], first_sequence: int) -> None:
    """Append at `first_sequence`, `first_sequence + 1`, ...; ConcurrentAppend if a position is taken."""
    # No savepoint: a clash aborts the whole transaction, which is what both callers want (the command answers
    # 409; the consumer replays its batch event by event to isolate the failure).
    rows = [_row(e, first_sequence + i) for i, e in enumerate(envelopes)]
    try:
        await conn.execute(insert(ticket_events), rows)
    except IntegrityError:
        raise ConcurrentAppend from None


async def start_streams(conn: AsyncConnection, envelopes: list[Envelope]) -> None:
    """Many new streams at once (their first events), in one statement."""
    await conn.execute(insert(ticket_events), [_row(e, 1) for e in envelopes])


def _value(member: Any) -> Any:
    return getattr(member, "value", member)


def projection_values(state: TicketState, now: datetime) -> dict[str, Any]:
    """The projection columns that follow from the folded state."""
    return {
        "state": state.status.value, "kind": state.kind.value, "department": state.department,
        "technician": state.technician, "channel": _value(state.channel),
        "complaint_class": _value(state.complaint_class), "segment": _value(state.segment),
        "priority": _value(state.priority), "product": _value(state.product), "area_type": _value(state.area_type),
        "round": state.round, "promised_at": state.due_at, "paused_seconds": state.paused_seconds,
        "incident_id": state.incident_id, "last_sequence": state.version, "events_applied": state.version,
        "last_event_at": state.last_event_at, "updated_at": now, "snapshot": snapshot.dump(state),
    }


async def create_projections(conn: AsyncConnection, created: list[tuple[TicketState, Envelope]],
                             now: datetime) -> None:
    """Projection rows of new tickets (from their TicketCreated), in one statement."""
    rows = [
        projection_values(state, now) | {
            "id": state.ticket_id, "number": state.number, "customer": first.payload.customer.model_dump(),
            "description": first.payload.description, "received_at": first.occurred_at,
        }
        for state, first in created
    ]
    await conn.execute(insert(tickets), rows)


async def save_projection(conn: AsyncConnection, state: TicketState, now: datetime) -> None:
    await conn.execute(update(tickets).where(tickets.c.id == state.ticket_id).values(**projection_values(state, now)))


async def record_deadline(conn: AsyncConnection, ticket_id: Any, due_at: datetime | None, rule_id: str | None,
                          round_: int) -> None:
    """The ticket's earliest running SLA deadline, on the projection (if the ticket is there yet) and aside."""
    values = {"due_at": due_at, "rule_id": rule_id, "round": round_}
    await conn.execute(pg_insert(ticket_deadlines).values(ticket_id=ticket_id, **values)
                       .on_conflict_do_update(index_elements=[ticket_deadlines.c.ticket_id], set_=values))
    await conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(due_at=due_at, due_rule=rule_id))


async def apply_known_deadlines(conn: AsyncConnection, ticket_ids: list[Any]) -> None:
    """Deadlines that arrived before their tickets (new projection rows pick them up)."""
    d = ticket_deadlines
    await conn.execute(update(tickets).where(tickets.c.id == d.c.ticket_id, tickets.c.id.in_(ticket_ids))
                       .values(due_at=d.c.due_at, due_rule=d.c.rule_id))
