"""Rebuild the ledger from penalty's journal into an empty store, and compare two ledgers to the fen (issue 10).

The source is penalty's own journal (adapters/journal.py says why not the broker or the outboxes): every event
penalty applied, in the order it applied them, re-derived through the same handlers under a policy; and every act
of a person on the ledger (manual entry, review, appeal status, refund, month close) applied verbatim at its place
in that order, so tier counts and closed months come out as they did live. Entry ids are uuid5 of the entry key,
so a rebuilt entry has the id of the live one. A replay publishes nothing on gongdan.penalties (`_apply`). Not
rebuilt: the appeals table (people's records of the steps; the entry statuses and refund entries they caused are)
and the directory copy, which is copied as it stands now (it names heads and leaders of department-head /
direct-leader entries).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.penalty.adapters import journal
from services.penalty.adapters import repository as repo
from services.penalty.adapters.tables import directory, ledger, platform
from services.penalty.service_layer.config import PenaltyConfig
from services.penalty.service_layer.handlers import EVENT_HANDLERS
from shared.clock import SystemClock
from shared.events import decode
from shared.messaging.consumer import call_handler
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import admin_url, create_engine, ensure_database, migrate, service_url

log = logging.getLogger(__name__)
E = ledger.entries
BATCH = 500
COMPARED = ("id", "kind", "clause", "payer_kind", "payer_id", "person", "amount_fen", "original_fen", "status",
            "month", "ticket_id")


@dataclass
class Store:
    """An empty penalty database on the same server, migrated like the service's own."""

    name: str
    engine: AsyncEngine
    server_url: str

    async def drop(self) -> None:
        await self.engine.dispose()
        conn = await asyncpg.connect(admin_url(self.server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


#: penalty's own migrations (the service's wiring imports this module, so it is not asked for them)
MIGRATIONS = Path(__file__).parents[1] / "migrations"


async def new_store(server_url: str, label: str, name: str | None = None) -> Store:
    """Create and migrate `gongdan_penalty_<label>_<stamp>` (or `name`); refuse one that already has entries."""
    suffix = name or f"penalty_{label}_{datetime.now().strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
    url = service_url(server_url, suffix)
    await ensure_database(server_url, url)
    engine = create_engine(url)
    await migrate(engine, MIGRATIONS)
    async with engine.connect() as conn:
        if (await conn.execute(select(func.count()).select_from(E))).scalar_one():
            await engine.dispose()
            raise ValueError(f"database {url.database} is not empty: replay needs an empty store")
    return Store(str(url.database), engine, server_url)


async def copy_directory(src: AsyncConnection, dst: AsyncConnection) -> None:
    for table in (directory.departments, directory.people, directory.districts_table):
        rows = [dict(r) for r in (await src.execute(select(table))).mappings()]
        if rows:
            await dst.execute(table.insert(), rows)


async def replay_into(live: AsyncEngine, target: AsyncEngine, cfg: PenaltyConfig, *, apply_reviews: bool = True,
                      progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Apply the live journal (as it stands when we start) to `target` under `cfg`; returns counts."""
    counts = {"events": 0, "entry-insert": 0, "entry-update": 0, "month-closed": 0, "skipped": 0}
    async with live.connect() as src:
        upto = await journal.last_seq(src)
        async with target.begin() as dst:
            await copy_directory(src, dst)
        batch: list[dict[str, Any]] = []
        async for row in journal.stream(src, upto):
            batch.append(row)
            if len(batch) >= BATCH:
                await _apply(target, cfg, batch, counts, apply_reviews)
                batch = []
                if progress:
                    progress(sum(counts.values()))
        if batch:
            await _apply(target, cfg, batch, counts, apply_reviews)
    counts["journal_seq"] = upto
    return counts


async def _apply(target: AsyncEngine, cfg: PenaltyConfig, rows: list[dict[str, Any]], counts: dict[str, int],
                 apply_reviews: bool) -> None:
    uow = UnitOfWork(target, platform, SystemClock(), lambda: None, cfg, "penalty")
    async with uow:
        for row in rows:
            kind, body = row["kind"], row["body"]
            if kind == "event":
                env = decode(json.dumps(body).encode())
                if env.type not in EVENT_HANDLERS:
                    counts["skipped"] += 1
                    continue
                await call_handler(EVENT_HANDLERS, uow, [env])  # one by one, in the journal's order
                counts["events"] += 1
            elif kind == "entry-insert":
                if await repo.insert_entry(uow.conn, journal.from_json(body)):
                    await journal.record_act(uow.conn, kind, body)
                counts[kind] += 1
            elif kind == "entry-update":
                if not apply_reviews:
                    counts["skipped"] += 1
                    continue
                await repo.update_entry(uow.conn, uuid.UUID(body["id"]), **body["values"])
                counts[kind] += 1
            elif kind == "month-closed":
                await journal.insert_month(uow.conn, body)
                await journal.record_act(uow.conn, kind, body)
                counts[kind] += 1
        # Nothing is published from a rebuilt store: the handlers queued PenaltyAssessed & co. for the rows they
        # wrote, but the live ledger published each of them when it wrote the row (issue 10, exactly once). The
        # people's acts (entry-insert/update) are applied to the tables directly and queue nothing. So the new
        # database's outbox stays empty, and a service later pointed at it does not publish the past again.
        uow.discard_since(0)
        await uow.commit()


async def entries(conn: AsyncConnection, month: str | None = None) -> dict[str, dict[str, Any]]:
    """entry key -> the compared fields of every entry (optionally of one month)."""
    q = select(E.c.entry_key, *(E.c[c] for c in COMPARED))
    if month is not None:
        q = q.where(E.c.month == month)
    return {r.entry_key: {c: (str(r._mapping[c]) if isinstance(r._mapping[c], uuid.UUID) else r._mapping[c])
                          for c in COMPARED} for r in await conn.execute(q)}


def compare(live: dict[str, dict[str, Any]], rebuilt: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Entry by entry: missing from the rebuilt ledger, extra in it, or different in any compared field."""
    missing = sorted(k for k in live if k not in rebuilt)
    extra = sorted(k for k in rebuilt if k not in live)
    different = [{"entry_key": k, "live": live[k], "rebuilt": rebuilt[k]}
                 for k in sorted(live) if k in rebuilt and live[k] != rebuilt[k]]
    return {
        "equal": not (missing or extra or different),
        "live": {"entries": len(live), "fen": sum(int(e["amount_fen"]) for e in live.values())},
        "rebuilt": {"entries": len(rebuilt), "fen": sum(int(e["amount_fen"]) for e in rebuilt.values())},
        "missing": missing[:50], "extra": extra[:50], "different": different[:50],
    }


async def replay_penalty(live: AsyncEngine, server_url: str, cfg: PenaltyConfig, *, into: str | None = None,
                         keep: bool = True) -> dict[str, Any]:
    """`gongdan replay penalty`: rebuild into a new empty database, then compare it with the live ledger."""
    store = await new_store(server_url, "replay", into)
    try:
        counts = await replay_into(live, store.engine, cfg)
        async with live.connect() as a, store.engine.connect() as b:
            result = compare(await entries(a), await entries(b))
        return {"store": store.name, "kept": keep, "applied": counts, **result}
    finally:
        if keep:
            await store.engine.dispose()
        else:
            await store.drop()
