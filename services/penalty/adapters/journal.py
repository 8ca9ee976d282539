"""penalty's journal: every event it applied and every act of a person on the ledger, in the order applied.

Why this and not the broker or the outboxes (issue 10, replay): the outboxes keep a row only until every consumer
group has applied it and 7 days have passed; the embedded broker keeps its topics in memory (a restart forgets
them) and a production Kafka keeps them only for its retention. The producing services' own stores do not help
either: sla_monitor keeps its SlaBreached events only in its outbox, so their ids (which key the ledger's entries)
are gone after the trim. What penalty applied it keeps here, in its own database, for as long as the ledger: the
exact input of the ledger, in the exact order (tier counts depend on order). It starts with migration 0005 and,
like the ledger, is never trimmed. `seq` is taken when a row is written, not when its transaction commits: a replay
reads up to the highest seq visible when it starts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import kpi, ledger
from services.penalty.domain import timers as dt
from shared.events import Envelope

J = kpi.journal
_UUID = ("id", "ticket_id", "reverses")
_TIME = ("cause_at", "created_at", "closed_at")


async def record_events(conn: AsyncConnection, events: list[Envelope]) -> None:
    """Events penalty applied, in their order, in one statement (the consumer's inbox deduplicated them)."""
    if not events:
        return
    now = datetime.now(UTC)
    await conn.execute(insert(J).on_conflict_do_nothing(index_elements=[J.c.event_id]),
                       [{"kind": "event", "event_id": e.event_id, "type": e.type, "body": e.model_dump(mode="json"),
                         "applied_at": now} for e in events])


async def record_act(conn: AsyncConnection, kind: str, body: dict[str, Any]) -> None:
    """A person's act on the ledger (entry-insert, entry-update, month-closed), kept verbatim."""
    await conn.execute(insert(J).values(kind=kind, type=None, body=to_json(body), applied_at=func.now()))


def to_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v)
            for k, v in row.items()}


def from_json(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for k in _UUID:
        if out.get(k) is not None:
            out[k] = uuid.UUID(out[k])
    for k in _TIME:
        if out.get(k) is not None:
            out[k] = datetime.fromisoformat(out[k])
    return out


async def read(conn: AsyncConnection, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    rows = await conn.execute(select(J).where(J.c.seq > after).order_by(J.c.seq).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def stream(conn: AsyncConnection, upto: int | None = None, page: int = 1000) -> AsyncIterator[dict[str, Any]]:
    """The journal in applied order, up to seq `upto` (the live journal keeps growing while we read)."""
    after = 0
    while True:
        rows = await read(conn, after, page)
        for row in rows:
            if upto is not None and row["seq"] > upto:
                return
            yield row
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


async def last_seq(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.coalesce(func.max(J.c.seq), 0)))).scalar_one()


def _upsert_timers() -> Insert:
    """Insert a timer's row, or replace what it holds (record_timers folded the events in already)."""
    t = kpi.timers
    stmt = insert(t)
    keys = (t.c.ticket_id, t.c.family, t.c.round)
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={c.name: stmt.excluded[c.name] for c in t.c if c not in keys})


_UPSERT_TIMERS = _upsert_timers()  # built once: executemany with a list of rows, compiled once and cached


async def record_timers(conn: AsyncConnection, outcomes: list[tuple[str, Envelope]]) -> None:
    """The outcomes of a run of SLA events (rule family, event), in their order, for the scorecards: the run's
    tickets' timers read once (locked), each event folded into its timer's row (domain/timers.py), the rows that
    changed written back in one statement."""
    if not outcomes:
        return
    t = kpi.timers
    tickets = sorted({e.payload.ticket_id for _, e in outcomes})
    stored = await conn.execute(select(t).where(t.c.ticket_id.in_(tickets)).with_for_update())
    rows = {(r["ticket_id"], r["family"], r["round"]): dict(r) for r in stored.mappings()}
    changed: dict[tuple, dict[str, Any]] = {}
    for family, e in outcomes:
        key = (e.payload.ticket_id, family, e.payload.round)
        row = dt.timer_after(rows.get(key), e.type, dt.outcome_of(e.type, str(e.event_id), family, e.payload))
        if row != rows.get(key):
            rows[key] = changed[key] = row
    if changed:
        await conn.execute(_UPSERT_TIMERS, list(changed.values()))


async def insert_month(conn: AsyncConnection, body: dict[str, Any]) -> None:
    await conn.execute(insert(ledger.months).values(**from_json(body)).on_conflict_do_nothing())
