"""Intake's SQL: tickets as logged, the open ones GX-5.3.1 compares against, active outages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, Uuid, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import calls, incidents, ticket_number_seq, tickets
from services.intake.domain.duplicates import OpenFault, OpenFaultTicket
from services.intake.domain.outages import ActiveIncident
from services.intake.domain.status import FINISHED, Status
from shared.events.vocabulary import Product
from shared.persistence.unnest import Unnest


def _product(value: str | None) -> Product | None:
    return Product(value) if value else None


# The statements of POST /tickets are built once, with bound parameters: a request only binds its values (no
# expression building and cache-key walk per call).
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
# one lock per key, taken in the order given (a function scan yields an array's elements in order)
_ADVISORY_LOCKS = text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:ks AS TEXT[])) AS k")
_OPEN_FAULTS = (
    select(tickets.c.id, tickets.c.number, tickets.c.status, tickets.c.occurred_at, tickets.c.account,
           tickets.c.address, tickets.c.product, tickets.c.account_key, tickets.c.address_key)
    .where(tickets.c.kind == "fault", tickets.c.status.not_in(sorted(FINISHED)),
           tickets.c.occurred_at >= bindparam("since"),
           (tickets.c.account_key == any_(bindparam("account_keys", type_=ARRAY(String))))
           | (tickets.c.address_key == any_(bindparam("address_keys", type_=ARRAY(String)))))
)
_INSERT_TICKET = insert(tickets)
_NEXT_NUMBERS = select(ticket_number_seq.next_value()).select_from(func.generate_series(1, bindparam("n")))
_RESERVE = Unnest(tickets, ["id", "last_sequence"])
# `last_sequence` of the source carries how many positions to reserve
_RESERVE_SEQUENCES = text(f"UPDATE tickets SET last_sequence = tickets.last_sequence + v.last_sequence "
                          f"FROM {_RESERVE.source} WHERE tickets.id = v.id RETURNING tickets.id, tickets.last_sequence")
_ACTIVE_INCIDENTS = select(incidents).where(incidents.c.restored_at.is_(None))
INCIDENTS_VIEW = "incidents"  # `active_incidents` held in memory (shared/persistence/views.py); outage events change it


async def lock_customers(conn: AsyncConnection, account_keys: list[str]) -> None:
    """Serialise intakes for these accounts so two simultaneous repeat reports make one ticket. Every
    transaction takes its locks in sorted order, so two that want the same accounts cannot deadlock."""
    await conn.execute(_ADVISORY_LOCKS, {"ks": [f"dup:{k}" for k in sorted(account_keys)]})


async def open_fault_tickets(conn: AsyncConnection, account_keys: set[str], address_keys: set[str],
                             since: datetime) -> list[OpenFault]:
    """Open fault tickets opened since `since` with one of these accounts or addresses."""
    rows = (await conn.execute(_OPEN_FAULTS, {"since": since, "account_keys": sorted(account_keys),
                                              "address_keys": sorted(address_keys)})).all()
    return [OpenFault(OpenFaultTicket(r.id, r.occurred_at, r.account, r.address, _product(r.product)),
                      r.account_key, r.address_key, r.number, r.status)
            for r in rows]


async def next_ticket_numbers(conn: AsyncConnection, count: int) -> list[int]:
    """The next `count` values of the ticket number sequence, ascending (see `number_for`)."""
    return sorted(int(v) for v in (await conn.execute(_NEXT_NUMBERS, {"n": count})).scalars())


async def insert_tickets(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """One INSERT of many VALUES rows (SQLAlchemy's insertmanyvalues)."""
    await conn.execute(_INSERT_TICKET, rows)


async def reserve_sequences(conn: AsyncConnection, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Reserve `count` positions in intake's stream of each ticket; returns the first of each."""
    rows = [{"id": tid, "last_sequence": n} for tid, n in sorted(counts.items())]  # id order: no deadlock
    result = await conn.execute(_RESERVE_SEQUENCES, _RESERVE.params(rows))
    return {r.id: int(r.last_sequence) - counts[r.id] + 1 for r in result}


async def read_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    return dict(row) if row else None


async def find_tickets(conn: AsyncConnection, *, number: str | None, phone_key: str | None,
                       account_key: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(tickets).order_by(tickets.c.recorded_at.desc(), tickets.c.id).limit(limit)
    for column, value in ((tickets.c.number, number), (tickets.c.phone_key, phone_key),
                          (tickets.c.account_key, account_key)):
        if value is not None:
            query = query.where(column == value)
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def active_incidents(conn: AsyncConnection) -> list[ActiveIncident]:
    rows = (await conn.execute(_ACTIVE_INCIDENTS)).mappings().all()
    return [ActiveIncident(r["id"], r["area"], r["cause"], r["planned"], tuple(Product(p) for p in r["products"]),
                           r["estimated_restore_at"], tuple(r["districts"] or ())) for r in rows]


async def save_incident(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(incidents).values(**values).on_conflict_do_nothing())


async def restore_incident(conn: AsyncConnection, incident_id: uuid.UUID, restored_at: datetime) -> None:
    await conn.execute(update(incidents).where(incidents.c.id == incident_id).values(restored_at=restored_at))


async def lock_statuses(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, Status]:
    """Intake's view of these tickets' status, row-locked in id order; tickets intake never logged are absent."""
    rows = (await conn.execute(
        select(tickets.c.id, tickets.c.status, tickets.c.paused_from)
        .where(tickets.c.id == any_(bindparam("ids", type_=ARRAY(Uuid)))).order_by(tickets.c.id).with_for_update(),
        {"ids": ticket_ids},
    )).all()
    return {r.id: (r.status, r.paused_from) for r in rows}


async def save_statuses(conn: AsyncConnection, statuses: dict[uuid.UUID, Status]) -> None:
    """Write these tickets' status in one round trip (executemany of one cached statement)."""
    if not statuses:
        return
    stmt = update(tickets).where(tickets.c.id == bindparam("b_id")).values(
        status=bindparam("b_status"), paused_from=bindparam("b_paused_from"))
    await conn.execute(stmt, [{"b_id": tid, "b_status": status, "b_paused_from": paused_from}
                              for tid, (status, paused_from) in statuses.items()])


async def ticket_by_number(conn: AsyncConnection, number: str) -> uuid.UUID | None:
    return (await conn.execute(select(tickets.c.id).where(tickets.c.number == number))).scalar_one_or_none()


async def lock_call(conn: AsyncConnection, call_id: str) -> None:
    """Serialise posts of one call id, so two at once record it once."""
    await conn.execute(_ADVISORY_LOCK, {"k": f"call:{call_id}"})


async def read_call(conn: AsyncConnection, call_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(calls).where(calls.c.call_id == call_id))).mappings().first()
    return dict(row) if row else None


async def insert_call(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(calls).values(**values))
