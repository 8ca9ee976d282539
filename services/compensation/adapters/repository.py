"""Reads and writes of compensation's tables (SQLAlchemy Core)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import directory, observed
from services.compensation.domain.claims import Exemption
from services.compensation.domain.facts import Fact


async def lock_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> None:
    """Serialise recomputations of one ticket (consumer instances, API commands) for this transaction."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 11))"), {"k": f"claims:{ticket_id}"})


async def ticket_facts(conn: AsyncConnection, ticket_id: uuid.UUID) -> list[Fact]:
    e = observed.events
    rows = (await conn.execute(select(e.c.type, e.c.occurred_at, e.c.recorded_at, e.c.payload)
                               .where(e.c.ticket_id == ticket_id))).all()
    return [Fact(r.type, r.occurred_at, r.recorded_at, r.payload) for r in rows]


async def exemptions(conn: AsyncConnection, ticket_id: uuid.UUID) -> list[Exemption]:
    x = T.exemptions
    rows = (await conn.execute(select(x).where(x.c.ticket_id == ticket_id).order_by(x.c.recorded_at))).mappings()
    return [Exemption(exemption_id=str(r["exemption_id"]), code=r["code"], note=r["note"], promise=r["promise"],
                      cause=r["cause"], recording_ref=r["recording_ref"], disputed=r["disputed_at"] is not None,
                      dispute_note=r["dispute_note"]) for r in rows]


async def confirmed(conn: AsyncConnection, ticket_id: uuid.UUID) -> bool:
    c = T.confirmations
    return (await conn.execute(select(c.c.ticket_id).where(c.c.ticket_id == ticket_id))).first() is not None


async def claims_of(conn: AsyncConnection, ticket_id: uuid.UUID, *, for_update: bool = False) -> list[dict[str, Any]]:
    query = select(T.claims).where(T.claims.c.ticket_id == ticket_id).order_by(T.claims.c.created_at,
                                                                                T.claims.c.promise)
    return [dict(r) for r in (await conn.execute(query.with_for_update() if for_update else query)).mappings()]


async def next_sequence(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(T.event_sequence.next_value()))).scalar_one())


async def district(conn: AsyncConnection, district_id: str | None) -> tuple[bool, str | None]:
    """(CT-2.5 rural opt-in, area type) of a district in compensation's copy of the directory; (False, None) when
    the ticket names no district or the copy does not have it."""
    if not district_id:
        return False, None
    row = await directory.get(conn, "district", district_id)
    return (bool(row["ct_same_day_opt_in"]), row["area_type"]) if row else (False, None)
