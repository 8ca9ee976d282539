"""Throughput of every hop, on real PostgreSQL and the real broker, each consuming service against an ideal stage:

- relay: outbox rows -> broker (rows/s)
- consume, per service (intake, dispatch, sla_monitor, penalty, compensation): its real consumer and domain logic
  applying the ticket topic (events/s), one service at a time;
- ideal: consume -> one transaction (inbox + one projection statement + outbox) -> produce -> commit offsets, with
  the same batches, measured before each service and after the last in the same run; a service's ceiling is the
  mean of the two ideal runs beside it.

The workload is --tickets tickets, each TicketCreated (intake), TicketDispatched and Resolved (dispatch), in three
waves (every ticket created, then every one dispatched, then every one resolved), written to intake's outbox
(with intake's own ticket rows, as `POST /tickets` leaves them) and relayed once. Each stage starts from the earliest
offset in its own consumer group and is timed from its first applied batch (joining the group takes ~5 s on Tansu).

Run: .venv/bin/python -m bench.pipeline [--tickets 4000] [--profile dispatch]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import logging
import pstats
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer
from sqlalchemy import Column, MetaData, String, Table, Uuid, insert
from sqlalchemy.dialects.postgresql import JSONB

from services.catalog import load_spec
from services.intake.adapters.tables import tickets as intake_tickets
from shared.clock import SystemClock
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from shared.events import decode, encode, new_envelope, topic_for
from shared.events.catalog import Customer, TicketCreated
from shared.events.lifecycle import Resolved, TicketDispatched
from shared.events.topics import TOPICS
from shared.messaging.kafka import ensure_topics, new_producer
from shared.messaging.relay import OutboxRelay
from shared.messaging.unit_of_work import UnitOfWork
from shared.metrics import ServiceMetrics
from shared.persistence.database import admin_url, create_engine, ensure_database, service_url
from shared.persistence.tables import platform_tables
from shared.service import ServiceRuntime
from shared.settings import Settings

SERVICES = ("intake", "dispatch", "sla_monitor", "penalty", "compensation")  # sla_monitor's own events come last
WORKLOAD = ("TicketCreated", "TicketDispatched", "Resolved")
IDEAL_TOPIC = "gongdan.bench-ideal"


def workload(n: int) -> tuple[list[dict], list[dict]]:
    """(outbox rows, intake ticket rows) for n tickets, in three waves."""
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(n)]
    customer = Customer(name="bench", phone="13812345678", address="江汉区新华路1号", account="ACC-1")
    waves: list[list] = [[], [], []]
    people: list[dict] = []
    for i, tid in enumerate(ids):
        number = f"2026-KF-{i + 1:06d}"
        created = TicketCreated(ticket_id=tid, number=number, kind="fault", customer=customer, description="断线",
                                created_by="ivr-1")
        waves[0].append(new_envelope(created, ticket_id=tid, sequence=1, occurred_at=now, recorded_at=now,
                                     producer="intake"))
        at = now + timedelta(minutes=5)
        dispatched = TicketDispatched(ticket_id=tid, actor="disp-1", role="dispatcher", department="bench-repair")
        waves[1].append(new_envelope(dispatched, ticket_id=tid, sequence=2, occurred_at=at, recorded_at=at,
                                     producer="dispatch"))
        at = now + timedelta(hours=2)
        resolved = Resolved(ticket_id=tid, actor="tech-1", role="technician", round=1, department="bench-repair",
                            completed_at=at, cause="光猫故障", result="更换光猫")
        waves[2].append(new_envelope(resolved, ticket_id=tid, sequence=3, occurred_at=at, recorded_at=at,
                                     producer="dispatch"))
        people.append({"id": tid, "number": number, "kind": "fault", "customer_name": customer.name,
                       "phone": customer.phone, "address": customer.address, "account": customer.account,
                       "description": "断线", "created_by": "ivr-1", "occurred_at": now, "recorded_at": now})
    outbox = [{"event_id": e.event_id, "topic": topic_for(e), "key": str(e.ticket_id), "value": encode(e),
               "created_at": now} for wave in waves for e in wave]
    return outbox, people


def consumed(runtime: ServiceRuntime) -> int:
    """Workload events the service's consumer has dealt with (applied, duplicate, ignored or parked)."""
    return int(sum(sample.value for metric in runtime.metrics.events_consumed.collect() for sample in metric.samples
                   if sample.name.endswith("_total") and sample.labels["type"] in WORKLOAD))


async def settle(server_url: str) -> None:
    """VACUUM ANALYZE every database on the server before a timed stage (as pgbench does before its runs): the
    earlier stages' dead rows are cleaned now, not by an autovacuum worker that wakes during this stage and takes
    a share of the two cores (it made one stage of a run up to a third slower). Used by bench/e2e.py too."""
    admin = await asyncpg.connect(admin_url(server_url))
    try:
        names = [r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database WHERE NOT datistemplate")]
    finally:
        await admin.close()
    for name in names:
        conn = await asyncpg.connect(admin_url(server_url), database=name)
        try:
            await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()


async def time_service(name: str, settings: Settings, total: int, profile: bool) -> float:
    """events/s of one service's real consumer over the whole workload, from its first applied batch."""
    runtime = ServiceRuntime(load_spec(name), settings, SystemClock())
    await runtime.start()
    profiler = cProfile.Profile() if profile else None
    try:
        while not (first := consumed(runtime)):
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        while (done := consumed(runtime)) < total:
            await asyncio.sleep(0.01)
        rate = (done - first) / (time.perf_counter() - started)
    finally:
        if profiler:
            profiler.disable()
        await runtime.stop()
    if profiler:
        report(name, profiler)
    return rate


def report(name: str, profiler: cProfile.Profile) -> None:
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(30)
        print(f"--- cProfile of {name} while consuming, by {sort} ---")
        print("\n".join(out.getvalue().splitlines()[:45]))
    path = Path(tempfile.gettempdir()) / f"pipeline-{name}.prof"
    profiler.dump_stats(path)
    print(f"--- the whole profile: {path} (python -m pstats {path}) ---")


ideal_metadata = MetaData()
IDEAL_TABLES = platform_tables(ideal_metadata)
ideal_projection = Table("bench_ideal", ideal_metadata, Column("event_id", Uuid, primary_key=True),
                         Column("ticket_id", Uuid, nullable=False), Column("type", String(60), nullable=False),
                         Column("payload", JSONB, nullable=False))


async def time_ideal(settings: Settings, total: int, run: int) -> float:
    """events/s of the ideal stage: decode, one transaction (inbox + one projection insert + outbox), commit offsets;
    its relay produces the outbox to the broker meanwhile, as a service's does."""
    url = service_url(settings.database_url, f"ideal{run}")
    await ensure_database(settings.database_url, url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(ideal_metadata.create_all)
    producer = new_producer(settings.kafka_bootstrap_servers, "bench-ideal")
    await producer.start()
    clock = SystemClock()
    relay = OutboxRelay(engine, IDEAL_TABLES, producer, clock, ServiceMetrics(f"bench_ideal_{run}"))
    relaying = asyncio.create_task(relay.run())
    consumer = AIOKafkaConsumer(TOPICS.tickets, bootstrap_servers=settings.kafka_bootstrap_servers,
                                group_id=f"bench-ideal-{run}", enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=settings.gongdan_consumer_batch)
    await consumer.start()
    done, first, started = 0, 0, 0.0
    try:
        while done < total:
            batch = await consumer.getmany(timeout_ms=200, max_records=settings.gongdan_consumer_batch)
            if not batch:
                continue
            records = [r for msgs in batch.values() for r in msgs]
            envelopes = [decode(r.value) for r in records]
            async with UnitOfWork(engine, IDEAL_TABLES, clock, relay.wake, None, "bench") as uow:
                fresh = await uow.mark_all_consumed([(e.event_id, e.type, TOPICS.tickets) for e in envelopes])
                await uow.conn.execute(insert(ideal_projection), [
                    {"event_id": e.event_id, "ticket_id": e.ticket_id, "type": e.type,
                     "payload": e.payload.model_dump(mode="json")} for e in envelopes if e.event_id in fresh])
                for record, e in zip(records, envelopes, strict=True):
                    uow.publish_raw(IDEAL_TOPIC, str(e.ticket_id), record.value, uuid.uuid4())
                await uow.commit()
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batch.items()})
            if done == 0:
                started, first = time.perf_counter(), len(records)  # time from the first applied batch
            done += len(records)
        return (done - first) / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        relay.stop()
        await asyncio.wait_for(relaying, 10)
        await producer.stop()
        await engine.dispose()


async def run(tickets: int, database_url: str, bootstrap: str, profile: str | None) -> None:
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=bootstrap,
                        gongdan_api_keys="b:admin:" + "k" * 20)
    # intake as the producer only: its consumer is timed on its own below
    intake = ServiceRuntime(dataclasses.replace(load_spec("intake"), consumes=[]), settings, SystemClock())
    await intake.start()
    await ensure_topics(bootstrap, [IDEAL_TOPIC], settings.gongdan_topic_partitions)
    outbox, rows = workload(tickets)
    async with intake.engine.begin() as conn:
        await conn.execute(insert(intake_tickets), rows)
        for i in range(0, len(outbox), 5000):
            await conn.execute(insert(intake.spec.tables.outbox), outbox[i:i + 5000])
    started = time.perf_counter()
    intake.relay.wake()
    while (await intake.relay.backlog())[0]:
        await asyncio.sleep(0.05)
    relay_seconds = time.perf_counter() - started
    print(f"relay: {len(outbox):,} events in {relay_seconds:.2f}s = {len(outbox) / relay_seconds:,.0f} events/s")
    await intake.stop()

    total = len(outbox)
    # The ideal stage runs before every service and after the last: each service is compared with the mean of the
    # two runs beside it, so a slow spell of this shared VM (seconds long) weighs on both sides of its ratio.
    await settle(settings.database_url)
    ideals = [await time_ideal(settings, total, 1)]
    print(f"ideal stage: {ideals[0]:,.0f} events/s", flush=True)
    rates = {}
    for name in SERVICES:
        await settle(settings.database_url)
        rates[name] = await time_service(name, settings, total, profile == name)
        await settle(settings.database_url)
        ideals.append(await time_ideal(settings, total, len(ideals) + 1))
        print(f"{name}: {rates[name]:,.0f} events/s; ideal stage after it: {ideals[-1]:,.0f} events/s", flush=True)
    print(f"\n{total:,} events ({tickets:,} tickets x {', '.join(WORKLOAD)}), batch {settings.gongdan_consumer_batch}; "
          f"ideal stage {min(ideals):,.0f}-{max(ideals):,.0f} events/s over the run")
    print(f"{'service':<14}{'events/s':>10}{'ideal beside':>14}{'of ideal':>10}   (goal: >= 50%)")
    for i, (name, rate) in enumerate(rates.items()):
        beside = (ideals[i] + ideals[i + 1]) / 2
        print(f"{name:<14}{rate:>10,.0f}{beside:>14,.0f}{rate / beside:>10.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--profile", choices=SERVICES, help="cProfile this service while it consumes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="gongdan-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        broker = EmbeddedBroker(free_port(), log_file=Path(tmp) / "broker.log")
        try:
            url = pg.start().replace("/postgres?", "/bench_{service}?")
            asyncio.run(run(args.tickets, url, broker.start(), args.profile))
        finally:
            broker.stop()
            pg.stop()


if __name__ == "__main__":
    main()
