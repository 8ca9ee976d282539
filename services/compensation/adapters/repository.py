"""Reads and writes of compensation's tables (SQLAlchemy Core)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Uuid, all_, any_, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import directory, observed
from services.compensation.domain.claims import Exemption
from services.compensation.domain.facts import FOLDED, Fact


def any_of(ids: list[uuid.UUID]) -> Any:
    """`= ANY(:ids)` with one array parameter: one statement shape (and prepared statement) for any number of ids."""
    return any_(literal(list(ids), ARRAY(Uuid)))


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
    rows = (await conn.execute(select(x).where(x.c.ticket_id == ticket_id)
                               .order_by(x.c.recorded_at, x.c.exemption_id))).mappings()
    return [_exemption(r) for r in rows]


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


# --- many tickets at once: what a batch recomputation reads (one statement each, whatever the number of tickets) --


async def lock_tickets(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> None:
    """`lock_ticket` for many tickets in one statement, in a fixed (sorted) order so two lockers never deadlock."""
    keys = sorted(f"claims:{t}" for t in ticket_ids)
    await conn.execute(text("SELECT count(pg_advisory_xact_lock(hashtextextended(k, 11))) "
                            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS ordered"),
                       {"keys": keys})


async def facts_of(conn: AsyncConnection, ticket_ids: list[uuid.UUID],
                   known: Sequence[uuid.UUID] = ()) -> dict[uuid.UUID, list[Fact]]:
    """The facts a claim can depend on (the types `fold` applies) of every ticket, by ticket; but the events
    `known` (the caller has them in hand: the batch being applied)."""
    e = observed.events
    query = (select(e.c.ticket_id, e.c.type, e.c.occurred_at, e.c.recorded_at, e.c.payload)
             .where(e.c.ticket_id == any_of(ticket_ids), e.c.type.in_(sorted(FOLDED)))
             .order_by(e.c.recorded_at, e.c.sequence))
    if known:
        query = query.where(e.c.event_id != all_(literal(list(known), ARRAY(Uuid))))
    rows = (await conn.execute(query)).all()
    out: dict[uuid.UUID, list[Fact]] = {}
    for r in rows:
        out.setdefault(r.ticket_id, []).append(Fact(r.type, r.occurred_at, r.recorded_at, r.payload))
    return out


def _exemption(r: Any) -> Exemption:
    return Exemption(exemption_id=str(r["exemption_id"]), code=r["code"], note=r["note"], promise=r["promise"],
                     cause=r["cause"], recording_ref=r["recording_ref"], disputed=r["disputed_at"] is not None,
                     dispute_note=r["dispute_note"],
                     extra={"recorded_by": r["recorded_by"], "recorded_at": r["recorded_at"]})


async def exemptions_of(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Exemption]]:
    x = T.exemptions
    rows = (await conn.execute(select(x).where(x.c.ticket_id == any_of(ticket_ids))
                               .order_by(x.c.recorded_at, x.c.exemption_id))).mappings()
    out: dict[uuid.UUID, list[Exemption]] = {}
    for r in rows:
        out.setdefault(r["ticket_id"], []).append(_exemption(r))
    return out


async def confirmed_of(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    c = T.confirmations
    return set((await conn.execute(select(c.c.ticket_id).where(c.c.ticket_id == any_of(ticket_ids)))).scalars())


async def districts_of(conn: AsyncConnection, ids: set[str]) -> dict[str, tuple[bool, str | None]]:
    """(CT-2.5 rural opt-in, area type) of each district compensation's directory copy has."""
    found = await directory.known(conn, "district", ids)
    return {k: (bool(row["ct_same_day_opt_in"]), row["area_type"]) for k, row in found.items()}


async def claims_of_many(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Every stored claim of the tickets, locked for this transaction."""
    c = T.claims
    rows = (await conn.execute(select(c).where(c.c.ticket_id == any_of(ticket_ids))
                               .order_by(c.c.ticket_id, c.c.scheme, c.c.promise).with_for_update())).mappings()
    out: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["ticket_id"], []).append(dict(r))
    return out


async def announced_of(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    """The announced state (recorded | voided) of every exemption of the tickets (RULEBOOK §9.12)."""
    a = T.announcements
    out: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    for r in (await conn.execute(select(a.c.ticket_id, a.c.exemption_id, a.c.state)
                                 .where(a.c.ticket_id == any_of(ticket_ids)))).all():
        out.setdefault(r.ticket_id, {})[r.exemption_id] = r.state
    return out


async def next_sequences(conn: AsyncConnection, n: int) -> list[int]:
    """`n` numbers of the event sequence in one statement."""
    if n <= 0:
        return []
    rows = await conn.execute(select(T.event_sequence.next_value()).select_from(func.generate_series(1, n)))
    return [int(r[0]) for r in rows]
