"""Benchmark: a million active SLA timers in a real PostgreSQL; how late do breaches fire, how big is the process?

Starts the embedded PostgreSQL and broker, runs a real sla_monitor ServiceRuntime (migrations, outbox relay,
consumer, timer scanner) on a controllable clock, bulk-loads active timers whose deadlines fall in waves,
then moves the clock past each wave's deadline. Only `--waves` × `--per-wave` timers come due; the rest stay
active with later deadlines, as most timers of a live system do, so the scanner works against the full table. Lateness of one breach = database time when its row was marked
breached (a bench-only trigger records clock_timestamp()) minus database time when the clock passed its
deadline. Grace is 0 here so the breach is due exactly at the deadline.

    .venv/bin/python -m bench.sla_timers [--timers 1000000] [--waves 100] [--per-wave 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from sqlalchemy import insert, text

from services.catalog import load_spec
from services.sla_monitor.adapters.repository import timer_values
from services.sla_monitor.adapters.tables import sla_timers
from services.sla_monitor.domain import timers as tm
from services.sla_monitor.service_layer.config import load_config
from shared.clock import ControllableClock
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from shared.service import ServiceRuntime
from shared.settings import Settings

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RULE = "TT-repair-22h"
TRIGGER = (
    "ALTER TABLE sla_timers ADD COLUMN IF NOT EXISTS fired_real timestamptz",
    """CREATE OR REPLACE FUNCTION bench_mark_fired() RETURNS trigger AS $$
       BEGIN
         IF NEW.breached_at IS NOT NULL AND OLD.breached_at IS NULL THEN NEW.fired_real := clock_timestamp(); END IF;
         RETURN NEW;
       END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS bench_fired ON sla_timers",
    "CREATE TRIGGER bench_fired BEFORE UPDATE ON sla_timers FOR EACH ROW EXECUTE FUNCTION bench_mark_fired()",
)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def load_timers(runtime: ServiceRuntime, n: int, waves: int, per_wave: int) -> None:
    """Insert n open timers of TT-repair-22h; wave w's deadlines are START + 22 h + w minutes for the first
    waves × per_wave timers, and a week later for the rest (active, never due during the run)."""
    cfg = load_config(runtime.settings)
    rule = cfg.rule(RULE)
    rows = []
    for i in range(n):
        offset = timedelta(minutes=i % waves) if i < waves * per_wave else timedelta(days=7, seconds=i)
        t = tm.start(rule, uuid.uuid4(), 1, "TicketDispatched", START + offset, cfg.calendars)
        rows.append(timer_values(replace(t, warned_at=t.start_at), timedelta(0)))
        if len(rows) == 5000:
            await _insert(runtime, rows)
            rows = []
    if rows:
        await _insert(runtime, rows)


async def _insert(runtime: ServiceRuntime, rows: list[dict]) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(insert(sla_timers), rows)


async def db_now(runtime: ServiceRuntime) -> datetime:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(text("SELECT clock_timestamp()"))).scalar_one()


async def fired_in(runtime: ServiceRuntime, deadline: datetime) -> list[datetime | None]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT fired_real FROM sla_timers WHERE deadline = :d"), {"d": deadline})
        return [r[0] for r in rows]


async def run(n: int, waves: int, per_wave: int) -> None:
    with tempfile.TemporaryDirectory(prefix="gongdan-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        broker = EmbeddedBroker(free_port(), log_file=Path(tmp) / "broker.log")
        url, bootstrap = pg.start(), broker.start()
        try:
            settings = Settings(database_url=url, kafka_bootstrap_servers=bootstrap, gongdan_volatile_broker=True,
                                gongdan_sla_breach_grace=timedelta(0))
            clock = ControllableClock(START)
            runtime = ServiceRuntime(load_spec("sla_monitor"), settings, clock)
            await runtime.start()
            try:
                await measure(runtime, clock, n, waves, per_wave)
            finally:
                await runtime.stop()
        finally:
            broker.stop()
            pg.stop()


async def measure(runtime: ServiceRuntime, clock: ControllableClock, n: int, waves: int, per_wave: int) -> None:
    async with runtime.engine.begin() as conn:
        for statement in TRIGGER:
            await conn.execute(text(statement))
    rss_start = rss_mb()
    started = time.perf_counter()
    await load_timers(runtime, n, waves, per_wave)
    print(f"loaded {n:,} active timers in {time.perf_counter() - started:.1f}s; RSS {rss_mb():.0f} MB "
          f"(before load {rss_start:.0f} MB)")
    lateness: list[float] = []
    rss_peak = rss_mb()
    fire_started = time.perf_counter()
    for wave in range(waves):
        deadline = START + timedelta(hours=22, minutes=wave)
        released = await db_now(runtime)
        clock.set(deadline)  # the deadline arrives: every timer of this wave is now due
        while None in (fired := await fired_in(runtime, deadline)):
            rss_peak = max(rss_peak, rss_mb())
            await asyncio.sleep(0.02)
        lateness += [(f - released).total_seconds() for f in fired]
    elapsed = time.perf_counter() - fire_started
    q = statistics.quantiles(lateness, n=100)
    print(f"fired {len(lateness):,} breaches in {waves} waves of {per_wave:,} in {elapsed:.1f}s "
          f"({len(lateness) / elapsed:,.0f}/s)")
    print(f"breach lateness after deadline: p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
          f"max {max(lateness) * 1000:.0f} ms")
    print(f"RSS: {rss_start:.0f} MB before load, peak {rss_peak:.0f} MB while firing, {rss_mb():.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=1_000_000, help="active timers in the table")
    parser.add_argument("--waves", type=int, default=100, help="deadlines passed during the run")
    parser.add_argument("--per-wave", type=int, default=1_000, help="timers due at each of those deadlines")
    args = parser.parse_args()
    if args.waves * args.per_wave > args.timers:
        parser.error("--waves × --per-wave is more than --timers")
    asyncio.run(run(args.timers, args.waves, args.per_wave))


if __name__ == "__main__":
    main()
