"""SQL of the ledger: ticket history from the observed events, entries written exactly once, queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import event_sequence, ledger, observed

E = ledger.entries
MONTHS_LOCK = "penalty-months"


async def ticket_history(conn: AsyncConnection, ticket_id: uuid.UUID) -> list[tuple[str, str, datetime, dict]]:
    """(type, event id, occurred_at, payload) of every lifecycle event seen for the ticket, in field order."""
    ev = observed.events
    rows = await conn.execute(select(ev.c.type, ev.c.event_id, ev.c.occurred_at, ev.c.payload)
                              .where(ev.c.ticket_id == ticket_id).order_by(ev.c.occurred_at, ev.c.sequence))
    return [(r.type, str(r.event_id), r.occurred_at, r.payload) for r in rows]


async def lock_months(conn: AsyncConnection, exclusive: bool = False) -> None:
    """Writers of entries share this lock; closing a month takes it alone (a cause never lands in a month
    being closed)."""
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await conn.execute(text(f"SELECT {fn}(hashtextextended(:k, 0))"), {"k": MONTHS_LOCK})


async def closed_months(conn: AsyncConnection) -> set[str]:
    return {r.month for r in await conn.execute(select(ledger.months.c.month))}


async def lock_tier(conn: AsyncConnection, clause: str, department: str | None, year: int) -> None:
    """Two instances never count the same department's tier at once."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                       {"k": f"penalty-tier:{clause}:{department}:{year}"})


async def prior_cases(conn: AsyncConnection, clause: str, department: str | None, year: int, tz: str) -> int:
    """Earlier cases of a tiered clause charged to the department in the local year, reversed ones not counted."""
    reversed_ids = select(E.c.reverses).where(E.c.kind == "reversal", E.c.reverses.is_not(None))
    local_year = func.extract("year", func.timezone(tz, E.c.cause_at))
    q = select(func.count()).where(E.c.clause == clause, E.c.kind == "assessment", E.c.payer_id == department,
                                   local_year == year, E.c.id.not_in(reversed_ids))
    return (await conn.execute(q)).scalar_one()


async def next_event_sequences(conn: AsyncConnection, n: int) -> list[int]:
    """n envelope sequences for the events penalty publishes, in one round trip (monotonic, gaps allowed)."""
    rows = await conn.execute(select(event_sequence.next_value()).select_from(func.generate_series(1, n)))
    return [int(r[0]) for r in rows]


async def insert_entry(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Write the entry unless its key exists already; True when written."""
    stmt = insert(E).values(**row).on_conflict_do_nothing(index_elements=[E.c.entry_key]).returning(E.c.id)
    return (await conn.execute(stmt)).first() is not None


async def insert_entries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Many entries in one statement, each unless its key exists; the ids written."""
    if not rows:
        return set()
    stmt = insert(E).on_conflict_do_nothing(index_elements=[E.c.entry_key]).returning(E.c.id)
    return {r.id for r in await conn.execute(stmt, rows)}  # executemany: batched as "insertmanyvalues"


async def ticket_histories(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple]]:
    """ticket_history of many tickets in one query."""
    ev = observed.events
    rows = await conn.execute(select(ev.c.ticket_id, ev.c.type, ev.c.event_id, ev.c.occurred_at, ev.c.payload)
                              .where(ev.c.ticket_id.in_(ticket_ids))
                              .order_by(ev.c.ticket_id, ev.c.occurred_at, ev.c.sequence))
    out: dict[uuid.UUID, list[tuple]] = {t: [] for t in ticket_ids}
    for r in rows:
        out[r.ticket_id].append((r.type, str(r.event_id), r.occurred_at, r.payload))
    return out


async def entries_of_cause(conn: AsyncConnection, cause: str) -> list[dict[str, Any]]:
    rows = await conn.execute(select(E).where(E.c.cause == cause).order_by(E.c.seq))
    return [dict(r) for r in rows.mappings()]


async def breach_causes_of_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(select(E).where(E.c.ticket_id == ticket_id, E.c.cause.like("breach:%"))
                              .order_by(E.c.seq))
    return [dict(r) for r in rows.mappings()]


async def group_entries_of_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(select(E).where(E.c.ticket_id == ticket_id, E.c.grp.is_not(None)).order_by(E.c.seq))
    return [dict(r) for r in rows.mappings()]


async def get_entry(conn: AsyncConnection, entry_id: uuid.UUID, lock: bool = False) -> dict[str, Any] | None:
    q = select(E).where(E.c.id == entry_id)
    row = (await conn.execute(q.with_for_update() if lock else q)).mappings().first()
    return dict(row) if row else None


async def list_entries(conn: AsyncConnection, filters: dict[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    conds = []
    for key, column in (("month", E.c.month), ("clause", E.c.clause), ("status", E.c.status),
                        ("person", E.c.person), ("ticket_id", E.c.ticket_id)):
        if filters.get(key) is not None:
            conds.append(column == filters[key])
    if filters.get("department") is not None:
        conds.append(and_(E.c.payer_kind.in_(("department", "department-head")), E.c.payer_id == filters["department"]))
    rows = await conn.execute(select(E).where(*conds).order_by(E.c.seq).limit(limit))
    return [dict(r) for r in rows.mappings()]


async def update_entry(conn: AsyncConnection, entry_id: uuid.UUID, journal: bool = True, **values: Any) -> None:
    """A person's act on an entry (review, appeal); journalled for replay unless it is the replay itself."""
    await conn.execute(E.update().where(E.c.id == entry_id).values(**values))
    if journal:
        from services.penalty.adapters.journal import record_act

        await record_act(conn, "entry-update", {"id": entry_id, "values": values})
