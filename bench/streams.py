"""Benchmark: does a ticket's 10,001st command cost the same as its 10th? (issue 13, long streams stay linear)

Starts the embedded PostgreSQL, migrates dispatch's database and drives one ticket through dispatch's real service
layer (no HTTP, no broker: the outbox rows stay unpublished): TicketCreated through the consumer handler, then
repeat reports of the same fault (`DuplicateReportLinked`, intake's GX-5.3.1 fact) through `on_intake_facts` in
runs of 500 like the consumer's, up to --events. At about 10 events and again at the end it times, one
transaction each, a command (`ReclassifyTicket` through `tickets.execute`, as the HTTP route runs it) and an intake
fact (`on_intake_facts`), median of --samples, twice:

- with snapshots: what dispatch does now (load = snapshot + the events after it);
- without: the snapshot column cleared before each sample, so the load reads and folds the whole stream, as
  dispatch did before migration 0007 (plus writing the snapshot again).

and once more after a VACUUM of the tickets table (a control: autovacuum would have cleared its dead versions).

    .venv/bin/python -m bench.streams [--events 10000] [--samples 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalog import load_spec
from services.dispatch.adapters.tables import tickets
from services.dispatch.domain import commands as c
from services.dispatch.service_layer.handlers import on_intake_facts, on_tickets_created
from services.dispatch.service_layer.tickets import execute
from shared.clock import SystemClock
from shared.devstack import EmbeddedPostgres
from shared.events import Envelope, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.lifecycle import DuplicateReportLinked
from shared.events.vocabulary import Channel, Priority, Role
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import (
    create_engine,
    ensure_database,
    migrate,
    service_url,
    wait_for_database,
)
from shared.policy.schema import FieldTimePolicy

BATCH = 500  # intake facts per transaction while filling the stream, as the consumer applies them


class Bench:
    def __init__(self, engine: AsyncEngine) -> None:
        self.spec = load_spec("dispatch")
        self.engine, self.clock = engine, SystemClock()
        self.ticket_id = uuid.uuid4()
        self.sequence = 0  # intake's own sequence for its facts (dispatch renumbers them in its stream)
        self.flip = False

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.spec.tables, self.clock, lambda: None, None, "dispatch")

    def intake_event(self, payload: object) -> Envelope:
        self.sequence += 1
        now = self.clock.now()
        return new_envelope(payload, ticket_id=self.ticket_id, sequence=self.sequence, occurred_at=now,
                            recorded_at=now, producer="intake")

    def repeat_report(self) -> Envelope:
        return self.intake_event(DuplicateReportLinked(ticket_id=self.ticket_id, actor="ivr-1", role=Role.ivr,
                                                       channel=Channel.hotline, caller_phone="13812345678"))

    async def create(self) -> None:
        created = TicketCreated(ticket_id=self.ticket_id, number="2026-KF-000001", kind="fault",
                                customer=Customer(name="bench", phone="13812345678", address="江汉区新华路1号",
                                                  account="ACC-1"), description="宽带断线", created_by="ivr-1")
        async with self.uow() as uow:
            await on_tickets_created(uow, [self.intake_event(created)])
            await uow.commit()

    async def facts(self, n: int) -> None:
        """n repeat reports, BATCH per transaction."""
        while n > 0:
            async with self.uow() as uow:
                await on_intake_facts(uow, [self.repeat_report() for _ in range(min(n, BATCH))])
                await uow.commit()
            n -= BATCH

    async def one_fact(self) -> None:
        async with self.uow() as uow:
            await on_intake_facts(uow, [self.repeat_report()])
            await uow.commit()

    async def one_command(self) -> None:
        self.flip = not self.flip
        command = c.ReclassifyTicket(actor="agent-7", role=Role.agent, reason="客户要求",
                                     priority=Priority.high if self.flip else Priority.normal)
        async with self.uow() as uow:
            await execute(uow, self.ticket_id, command, Role.agent, FieldTimePolicy())
            await uow.commit()

    async def drop_snapshot(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(tickets).where(tickets.c.id == self.ticket_id).values(snapshot=None))

    async def median_ms(self, step: Callable[[], Awaitable[None]], samples: int, snapshots: bool) -> float:
        times = []
        for _ in range(samples):
            if not snapshots:
                await self.drop_snapshot()
            started = time.perf_counter()
            await step()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    async def measure(self, samples: int) -> dict[str, float]:
        out = {}
        for snapshots in (True, False):
            mode = "snapshot" if snapshots else "full fold"
            out[f"command, {mode}"] = await self.median_ms(self.one_command, samples, snapshots)
            out[f"intake fact, {mode}"] = await self.median_ms(self.one_fact, samples, snapshots)
        return out

    async def version(self) -> int:
        async with self.uow() as uow:
            row = (await uow.conn.execute(tickets.select().where(tickets.c.id == self.ticket_id))).mappings().one()
            return int(row["last_sequence"])


async def vacuum(engine: AsyncEngine) -> None:
    """What autovacuum would do by now: clear the dead versions of the ticket's row."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tickets"))


async def run(events: int, samples: int, server_url: str) -> None:
    spec = load_spec("dispatch")
    await wait_for_database(server_url)
    url = service_url(server_url, "dispatch")
    await ensure_database(server_url, url)
    engine = create_engine(url)
    await migrate(engine, spec.migrations_dir)
    bench = Bench(engine)
    await bench.create()
    await bench.facts(5)
    await bench.measure(1)  # warm up: connections, statement caches, imports
    early_version = await bench.version()
    early = await bench.measure(samples)
    fill = events - await bench.version()
    started = time.perf_counter()
    await bench.facts(fill)
    fill_seconds = time.perf_counter() - started
    late_version = await bench.version()
    late = await bench.measure(samples)
    await vacuum(engine)
    vacuumed = await bench.measure(samples)
    print(f"filled {fill:,} repeat reports through on_intake_facts ({BATCH} per run) in {fill_seconds:.1f}s "
          f"= {fill / fill_seconds:,.0f} events/s (with snapshots)")
    print(f"median of {samples}, one transaction each, ms:")
    print(f"  {'':<26} {'event ~' + str(early_version):>14} {'event ~' + str(late_version):>14} "
          f"{'after VACUUM':>14}")
    for name in early:
        print(f"  {name:<26} {early[name]:>14.1f} {late[name]:>14.1f} {vacuumed[name]:>14.1f}")
    print("(after VACUUM: a control, the ticket row's dead versions cleared as autovacuum would)")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="gongdan-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        try:
            asyncio.run(run(args.events, args.samples, pg.start()))
        finally:
            pg.stop()
    print(f"({(datetime.now(UTC) - started).total_seconds():.0f}s in all)")


if __name__ == "__main__":
    main()
