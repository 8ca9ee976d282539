"""Dispatch tables of the work items that are not tickets (issue 8): their event streams and a query projection.

Created by migration 0005. Streams are keyed `(item_id, sequence)` like ticket streams (optimistic concurrency); a
number sequence per series gives `2026-NF-000001`, `2026-ML-…`, `2026-FP-…`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.adapters.tables import incidents, metadata, tickets
from services.dispatch.domain.snapshot import Snapshots
from services.dispatch.domain.work_items import ItemState, Series, evolve, fold
from shared import limits
from shared.events import Envelope, decode

NUMBER_SEQUENCES = {
    series: Sequence(f"{series.value.replace('-', '_')}_number_seq", metadata=metadata, start=1) for series in Series
}

work_items = Table(
    "work_items",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("series", String(20), nullable=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("layer", String(20)),
    Column("severity", String(10)),
    Column("staffed_room", Boolean),
    Column("department", String(limits.DEPARTMENT)),
    Column("title", Text, nullable=False),
    Column("incident_id", Uuid),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_event_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("snapshot", JSONB),  # the folded ItemState at `version` (domain/snapshot.py, migration 0007)
)

work_item_events = Table(
    "work_item_events",
    metadata,
    Column("item_id", Uuid, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(60), nullable=False),
    Column("actor", String(limits.PERSON)),
    Column("role", String(20)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("envelope", JSONB, nullable=False),
    PrimaryKeyConstraint("item_id", "sequence", name="work_item_events_item_sequence"),
)


SNAPSHOTS = Snapshots(ItemState)


class ConcurrentAppend(Exception):
    """Another writer appended at the same sequence first."""


async def next_number(conn: AsyncConnection, series: Series) -> int:
    return int((await conn.execute(select(NUMBER_SEQUENCES[series].next_value()))).scalar_one())


async def load_stream(conn: AsyncConnection, item_id: uuid.UUID, after: int = 0) -> list[Envelope]:
    """The item's events after sequence `after` (all by default), oldest first."""
    rows = (await conn.execute(select(work_item_events.c.envelope)
                               .where(work_item_events.c.item_id == item_id, work_item_events.c.sequence > after)
                               .order_by(work_item_events.c.sequence))).scalars().all()
    return [decode(json.dumps(row).encode()) for row in rows]


async def load_locked(conn: AsyncConnection, item_id: uuid.UUID, series: Series) -> ItemState | None:
    """The item's folded state with its row locked; None when there is no such item of this series.

    Its snapshot plus the events after it (normally none); without a usable snapshot, the whole stream."""
    row = (await conn.execute(select(work_items.c.snapshot).where(work_items.c.id == item_id,
                                                                  work_items.c.series == series.value)
                              .with_for_update())).first()
    if row is None:
        return None
    state: ItemState | None = SNAPSHOTS.restore(row.snapshot)
    later = await load_stream(conn, item_id, after=state.version if state else 0)
    if state is None:
        return fold(later)
    for event in later:
        state = evolve(state, event.type, event.payload, event.occurred_at)
    return state


async def append(conn: AsyncConnection, envelopes: list[Envelope]) -> None:
    """Append at the envelopes' own sequences; ConcurrentAppend if one is taken."""
    rows = []
    for e in envelopes:
        role = getattr(e.payload, "role", None)
        rows.append({"item_id": e.ticket_id, "sequence": e.sequence, "event_id": e.event_id, "type": e.type,
                     "actor": getattr(e.payload, "actor", None), "role": role.value if role is not None else None,
                     "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
                     "envelope": e.model_dump(mode="json")})
    try:
        await conn.execute(insert(work_item_events), rows)
    except IntegrityError:
        raise ConcurrentAppend from None


async def create(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(work_items).values(**values))


async def save(conn: AsyncConnection, state: ItemState, values: dict[str, Any], now: datetime) -> None:
    """The projection columns `values` and the snapshot of `state`."""
    await conn.execute(update(work_items).where(work_items.c.id == state.item_id)
                       .values(**values, snapshot=SNAPSHOTS.dump(state), updated_at=now))


async def read(conn: AsyncConnection, item_id: uuid.UUID, series: Series) -> tuple[Any, list[Any]] | None:
    """The projection row and the stored events (oldest first), or None."""
    row = (await conn.execute(select(work_items).where(work_items.c.id == item_id,
                                                       work_items.c.series == series.value))).mappings().first()
    if row is None:
        return None
    events = (await conn.execute(select(work_item_events).where(work_item_events.c.item_id == item_id)
                                 .order_by(work_item_events.c.sequence))).mappings().all()
    return row, list(events)


async def listing(conn: AsyncConnection, series: Series, filters: dict[str, Any], limit: int) -> list[Any]:
    """Items of a series, newest first, with equality filters on projection columns."""
    query = select(work_items).where(work_items.c.series == series.value)
    for column, value in filters.items():
        if value is not None:
            query = query.where(work_items.c[column] == value)
    query = query.order_by(work_items.c.opened_at.desc(), work_items.c.id).limit(limit)
    return list((await conn.execute(query)).mappings().all())


async def tickets_known(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = (await conn.execute(select(tickets.c.id).where(tickets.c.id.in_(ticket_ids)))).scalars().all()
    return set(rows)


async def incident_known(conn: AsyncConnection, incident_id: uuid.UUID) -> bool:
    row = (await conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id))).first()
    return row is not None
