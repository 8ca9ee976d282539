"""Timers and ticket contexts in PostgreSQL: row <-> domain mapping, row locks, the due-timer batch."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, Uuid, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.sla_monitor.adapters.tables import event_sequence, sla_exemptions, sla_tickets, sla_timers
from services.sla_monitor.domain.exemptions import Exemption
from services.sla_monitor.domain.rules import Pause
from services.sla_monitor.domain.ticket import TicketContext
from services.sla_monitor.domain.timers import Timer, due_at
from shared.persistence.unnest import Unnest

T = sla_timers.c


def to_timer(row: RowMapping) -> Timer:
    """A sla_timers row as a domain Timer."""
    consumed = row["consumed_seconds"]
    return Timer(
        id=row["id"], ticket_id=row["ticket_id"], family=row["family"], rule_id=row["rule_id"], round=row["round"],
        start_event=row["start_event"], status=row["status"], start_at=row["start_at"], deadline=row["deadline"],
        warning_at=row["warning_at"], calendar=row["calendar"], provisional=row["provisional"],
        pauses=tuple(Pause(datetime.fromisoformat(a), datetime.fromisoformat(b), r) for a, b, r in row["pauses"]),
        paused_since=row["paused_since"], pause_reason=row["pause_reason"], switched_at=row["switched_at"],
        consumed=None if consumed is None else timedelta(seconds=consumed), department=row["department"],
        person=row["person"], warned_at=row["warned_at"], breached_at=row["breached_at"],
        breach_event_id=row["breach_event_id"], stopped_at=row["stopped_at"], retracted_at=row["retracted_at"],
        appointment_end=row["appointment_end"],
    )


def timer_values(t: Timer, grace: timedelta) -> dict[str, Any]:
    """Column values of a timer row (due_at derived from the timer and the breach grace)."""
    return {
        "ticket_id": t.ticket_id, "family": t.family, "rule_id": t.rule_id, "round": t.round,
        "start_event": t.start_event, "status": t.status, "start_at": t.start_at, "deadline": t.deadline,
        "warning_at": t.warning_at, "due_at": due_at(t, grace), "calendar": t.calendar, "provisional": t.provisional,
        "pauses": [[p.start.isoformat(), p.end.isoformat(), p.reason] for p in t.pauses],
        "paused_since": t.paused_since, "pause_reason": t.pause_reason, "switched_at": t.switched_at,
        "consumed_seconds": None if t.consumed is None else int(t.consumed.total_seconds()),
        "department": t.department, "person": t.person, "warned_at": t.warned_at, "breached_at": t.breached_at,
        "breach_event_id": t.breach_event_id, "stopped_at": t.stopped_at, "retracted_at": t.retracted_at,
        "appointment_end": t.appointment_end,
    }


async def insert_timer(conn: AsyncConnection, t: Timer, grace: timedelta) -> bool:
    """Create the timer unless this (ticket, family, round) already has one; True if created."""
    stmt = insert(sla_timers).values(timer_values(t, grace)).on_conflict_do_nothing().returning(T.id)
    return (await conn.execute(stmt)).first() is not None


async def save_timer(conn: AsyncConnection, t: Timer, grace: timedelta) -> None:
    """Write back a changed timer (by id)."""
    await conn.execute(update(sla_timers).where(T.id == t.id).values(timer_values(t, grace)))


async def ticket_timers(conn: AsyncConnection, ticket_id: uuid.UUID, *, lock: bool = False) -> list[Timer]:
    """Every timer of a ticket, oldest round first; `lock` takes row locks for an update."""
    stmt = select(sla_timers).where(T.ticket_id == ticket_id).order_by(T.round, T.id)
    rows = (await conn.execute(stmt.with_for_update() if lock else stmt)).mappings().all()
    return [to_timer(r) for r in rows]


async def claim_due(conn: AsyncConnection, now: datetime, limit: int) -> list[Timer]:
    """Due timers locked for this transaction; rows another scanner holds are skipped, never waited on."""
    stmt = (select(sla_timers).where(T.due_at <= now).order_by(T.due_at).limit(limit)
            .with_for_update(skip_locked=True))
    return [to_timer(r) for r in (await conn.execute(stmt)).mappings().all()]


async def save_fired(conn: AsyncConnection, timers: list[Timer], grace: timedelta) -> None:
    """Write back what the scanner changed on a batch of timers, in one round trip."""
    if not timers:
        return
    stmt = update(sla_timers).where(T.id == bindparam("b_id")).values(
        due_at=bindparam("b_due"), warned_at=bindparam("b_warned"), breached_at=bindparam("b_breached"),
        breach_event_id=bindparam("b_event"))
    await conn.execute(stmt, [{"b_id": t.id, "b_due": due_at(t, grace), "b_warned": t.warned_at,
                               "b_breached": t.breached_at, "b_event": t.breach_event_id} for t in timers])


async def next_sequence(conn: AsyncConnection) -> int:
    """Envelope sequence for an event sla_monitor publishes (monotonic per ticket)."""
    return int((await conn.execute(select(event_sequence.next_value()))).scalar_one())


async def next_sequences(conn: AsyncConnection, n: int) -> list[int]:
    """n envelope sequences in one round trip."""
    if n == 0:
        return []
    rows = await conn.execute(text("SELECT nextval('sla_event_seq') FROM generate_series(1, :n)"), {"n": n})
    return [int(r[0]) for r in rows]


def _context(row: RowMapping) -> TicketContext:
    marks = {k: datetime.fromisoformat(v) for k, v in row["marks"].items()}
    return TicketContext(attrs=row["attrs"], round=row["round"], department=row["department"],
                         person=row["person"], marks=marks, appointment_end=row["appointment_end"],
                         promised_due=row["promised_due"], due_at=row["due_at"], due_rule=row["due_rule"])


def _context_values(ctx: TicketContext) -> dict[str, Any]:
    return {"attrs": ctx.attrs, "round": ctx.round, "department": ctx.department, "person": ctx.person,
            "marks": {k: v.isoformat() for k, v in ctx.marks.items()},
            "appointment_end": ctx.appointment_end, "promised_due": ctx.promised_due, "due_at": ctx.due_at,
            "due_rule": ctx.due_rule}


# `= ANY(:ids)`, one array parameter: the same statement text for any batch, prepared once (an IN list of n
# parameters is another statement for every n)
_IDS = bindparam("ids", type_=ARRAY(Uuid))
_LOAD_TICKETS = (select(sla_tickets).where(sla_tickets.c.ticket_id == any_(_IDS))
                 .order_by(sla_tickets.c.ticket_id).with_for_update())
_TICKETS_TIMERS = (select(sla_timers).where(T.ticket_id == any_(_IDS)).order_by(T.ticket_id, T.round, T.id)
                   .with_for_update())


async def load_ticket(conn: AsyncConnection, ticket_id: uuid.UUID) -> TicketContext:
    """The ticket's context, row-locked; an empty one if not seen yet."""
    return (await load_tickets(conn, [ticket_id]))[ticket_id]


async def load_tickets(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, TicketContext]:
    """The tickets' contexts, row-locked in ticket order; an empty one for a ticket not seen yet."""
    rows = (await conn.execute(_LOAD_TICKETS, {"ids": ticket_ids})).mappings()
    found = {row["ticket_id"]: _context(row) for row in rows}
    return {tid: found.get(tid) or TicketContext() for tid in ticket_ids}


async def save_ticket(conn: AsyncConnection, ticket_id: uuid.UUID, ctx: TicketContext) -> None:
    """Upsert the ticket's context."""
    await save_tickets(conn, {ticket_id: ctx})


_CONTEXT_COLUMNS = ["ticket_id", *_context_values(TicketContext())]
_TICKETS = Unnest(sla_tickets, _CONTEXT_COLUMNS)
_SAVE_TICKETS = text(_TICKETS.insert(
    f"ON CONFLICT (ticket_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _CONTEXT_COLUMNS[1:])}"))


async def save_tickets(conn: AsyncConnection, contexts: dict[uuid.UUID, TicketContext]) -> None:
    """Upsert the tickets' contexts in one statement."""
    if not contexts:
        return
    rows = [{"ticket_id": tid, **_context_values(ctx)} for tid, ctx in contexts.items()]
    await conn.execute(_SAVE_TICKETS, _TICKETS.params(rows))


async def tickets_timers(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Timer]]:
    """Every timer of these tickets, row-locked, each ticket's oldest round first (cf. `ticket_timers`)."""
    out: dict[uuid.UUID, list[Timer]] = {tid: [] for tid in ticket_ids}
    for row in (await conn.execute(_TICKETS_TIMERS, {"ids": ticket_ids})).mappings():
        out[row["ticket_id"]].append(to_timer(row))
    return out


_TIMER_COLUMNS = [c.name for c in sla_timers.c if c.name != "id"]
_NEW_TIMERS = Unnest(sla_timers, _TIMER_COLUMNS)
_INSERT_TIMERS = text(_NEW_TIMERS.insert("ON CONFLICT DO NOTHING"))
_TIMERS = Unnest(sla_timers, ["id", *_TIMER_COLUMNS])
_SAVE_TIMERS = text(f"UPDATE sla_timers SET {', '.join(f'{c} = {_TIMERS.value(c)}' for c in _TIMER_COLUMNS)} "
                    f"FROM {_TIMERS.source} WHERE sla_timers.id = v.id")


async def insert_timers(conn: AsyncConnection, timers: list[Timer], grace: timedelta) -> None:
    """Create these timers in one statement (a (ticket, family, round) that already has one is skipped)."""
    if timers:
        await conn.execute(_INSERT_TIMERS, _NEW_TIMERS.params([timer_values(t, grace) for t in timers]))


async def save_timers(conn: AsyncConnection, timers: list[Timer], grace: timedelta) -> None:
    """Write back changed timers (by id) in one statement."""
    if timers:
        rows = [{"id": t.id, **timer_values(t, grace)} for t in timers]
        await conn.execute(_SAVE_TIMERS, _TIMERS.params(rows))


class Sequences:
    """Envelope sequences for a batch, fetched a block at a time (gaps are allowed, order is kept)."""

    def __init__(self, conn: AsyncConnection, block: int) -> None:
        self._conn, self._block, self._free = conn, max(block, 1), deque[int]()

    async def next(self) -> int:
        if not self._free:
            self._free.extend(await next_sequences(self._conn, self._block))
        return self._free.popleft()


async def open_provisional(conn: AsyncConnection) -> list[Timer]:
    """Open timers on guessed working days, locked (rows another instance holds are skipped)."""
    stmt = (select(sla_timers).where(T.status == "open", T.provisional.is_(True)).order_by(T.id)
            .with_for_update(skip_locked=True))
    return [to_timer(r) for r in (await conn.execute(stmt)).mappings().all()]


async def count_provisional_open(conn: AsyncConnection) -> int:
    """Open timers whose deadline rests on guessed working days."""
    stmt = select(func.count()).where(T.status == "open", T.provisional.is_(True))
    return int((await conn.execute(stmt)).scalar_one())


async def provisional_spans(conn: AsyncConnection) -> list[tuple[str, int, int, int]]:
    """(calendar, first year, last year, open timers) of open timers on guessed working days."""
    first, last = func.extract("year", T.start_at), func.extract("year", T.deadline)
    stmt = (select(T.calendar, first, last, func.count()).where(T.status == "open", T.provisional.is_(True))
            .group_by(T.calendar, first, last))
    return [(str(c), int(a), int(b), int(n)) for c, a, b, n in (await conn.execute(stmt)).all()]


# --- exemptions from customer compensation (RULEBOOK §9.12) ---------------------------------------------------


async def record_exemption(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Keep an announced exemption; announced again later (it stood again), it stands again."""
    x = sla_exemptions
    stmt = insert(x).values(**values, voided_at=None, void_reason=None, void_clause=None)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[x.c.exemption_id], set_={
        k: stmt.excluded[k] for k in (*values, "voided_at", "void_reason", "void_clause") if k != "exemption_id"}))


async def void_exemption(conn: AsyncConnection, exemption_id: uuid.UUID, at: datetime, reason: str,
                         clause: str) -> None:
    x = sla_exemptions
    await conn.execute(update(x).where(x.c.exemption_id == exemption_id)
                       .values(voided_at=at, void_reason=reason, void_clause=clause))


async def exemptions_of(conn: AsyncConnection, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Exemption]]:
    """Every exemption announced for the tickets (standing or voided), by ticket."""
    x = sla_exemptions
    if not ticket_ids:
        return {}
    rows = (await conn.execute(select(x).where(x.c.ticket_id.in_(sorted(set(ticket_ids)))))).mappings().all()
    out: dict[uuid.UUID, list[Exemption]] = {}
    for r in rows:
        out.setdefault(r["ticket_id"], []).append(Exemption(
            exemption_id=str(r["exemption_id"]), code=r["code"], cause=r["cause"], promise=r["promise"],
            rule_ids=tuple(r["rule_ids"]), note=r["note"], automatic=r["automatic"], clause=r["clause"],
            recorded_at=r["recorded_at"], voided_at=r["voided_at"]))
    return out
