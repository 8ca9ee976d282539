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

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import kpi, ledger
from shared.events import Envelope, encode

J = kpi.journal
_UUID = ("id", "ticket_id", "reverses")
_TIME = ("cause_at", "created_at", "closed_at")


async def record_event(conn: AsyncConnection, event: Envelope) -> None:
    await conn.execute(insert(J).values(kind="event", event_id=event.event_id, type=event.type,
                                        body=json.loads(encode(event)), applied_at=func.now())
                       .on_conflict_do_nothing(index_elements=[J.c.event_id]))


async def record_events(conn: AsyncConnection, events: list[Envelope]) -> None:
    """record_event for a run of events in one statement (the consumer deduplicated them already)."""
    now = datetime.now(UTC)
    await conn.execute(insert(J).on_conflict_do_nothing(index_elements=[J.c.event_id]),
                       [{"kind": "event", "event_id": e.event_id, "type": e.type, "body": json.loads(encode(e)),
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


def _timer_values(family: str, event: Envelope) -> dict[str, Any]:
    p = event.payload
    late = event.type in ("SlaBreached", "SlaBreachClosed")
    return {"ticket_id": p.ticket_id, "family": family, "round": p.round, "rule_id": p.rule_id,
            "department": p.department, "person": p.person, "deadline": p.deadline,
            "outcome": "late" if late else "met", "actual": getattr(p, "actual", None),
            "event_ids": [str(event.event_id)]}


async def record_breaches(conn: AsyncConnection, breaches: list[tuple[str, Envelope]]) -> None:
    """record_timer for a run of SlaBreached of distinct timers (family, ticket, round), in one statement each
    500: a retraction already seen keeps its timer met."""
    t = kpi.timers
    stmt = insert(t)
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.ticket_id, t.c.family, t.c.round],
                                      where=t.c.outcome == "late",
                                      set_={"event_ids": t.c.event_ids + stmt.excluded.event_ids})
    await conn.execute(stmt, [_timer_values(f, e) for f, e in breaches])


async def record_timer(conn: AsyncConnection, family: str, event: Envelope) -> None:
    """The outcome of a completion or response timer, for the scorecards: met, or late (a retraction makes a
    breach met again; a close keeps it late with its stop time)."""
    t = kpi.timers
    stmt = insert(t).values(**_timer_values(family, event))
    if event.type == "SlaBreached":  # a retraction seen first (redelivery, replay order) stays met
        keep = t.c.outcome == "late"
        stmt = stmt.on_conflict_do_update(index_elements=[t.c.ticket_id, t.c.family, t.c.round], where=keep,
                                          set_={"event_ids": t.c.event_ids + stmt.excluded.event_ids})
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.ticket_id, t.c.family, t.c.round],
            set_={"outcome": stmt.excluded.outcome, "actual": stmt.excluded.actual, "rule_id": stmt.excluded.rule_id,
                  "department": stmt.excluded.department, "person": stmt.excluded.person,
                  "deadline": stmt.excluded.deadline, "event_ids": t.c.event_ids + stmt.excluded.event_ids})
    await conn.execute(stmt)


async def insert_month(conn: AsyncConnection, body: dict[str, Any]) -> None:
    await conn.execute(insert(ledger.months).values(**from_json(body)).on_conflict_do_nothing())
