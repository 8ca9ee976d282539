"""Throughput of the two halves of every hop, on real PostgreSQL and the real broker:

- relay: outbox rows -> broker (rows/s)
- consume: broker -> one transaction per batch (inbox + projection) -> offsets (events/s)

Run: .venv/bin/python bench/pipeline.py [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from services.catalog import load_spec
from services.dispatch.adapters.tables import tickets
from shared.clock import SystemClock
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from shared.events import encode, new_envelope, topic_for
from shared.events.catalog import Customer, TicketCreated
from shared.service import ServiceRuntime
from shared.settings import Settings


def ticket_event() -> tuple[str, str, bytes, uuid.UUID]:
    now = datetime.now(UTC)
    ticket_id = uuid.uuid4()
    payload = TicketCreated(ticket_id=ticket_id, number="2026-KF-000001", kind="fault",
                            customer=Customer(name="bench", phone="13812345678", address="x", account="ACC-1"),
                            description="bench", created_by="bench")
    env = new_envelope(payload, ticket_id=ticket_id, sequence=1, occurred_at=now, recorded_at=now, producer="intake")
    return topic_for(env), str(ticket_id), encode(env), env.event_id


async def run(events: int, database_url: str, bootstrap: str) -> None:
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=bootstrap, gongdan_api_keys="b:admin:" + "k" * 20)
    intake = ServiceRuntime(load_spec("intake"), settings, SystemClock())
    dispatch = ServiceRuntime(load_spec("dispatch"), settings, SystemClock())
    await intake.start()

    rows = [ticket_event() for _ in range(events)]
    outbox = intake.spec.tables.outbox
    async with intake.engine.begin() as conn:
        await conn.execute(insert(outbox), [{"event_id": m, "topic": t, "key": k, "value": v,
                                             "created_at": datetime.now(UTC)} for t, k, v, m in rows])
    started = time.perf_counter()
    intake.relay.wake()
    while (await intake.relay.backlog())[0]:
        await asyncio.sleep(0.05)
    relay_seconds = time.perf_counter() - started

    await dispatch.start()  # the topic is full; the consumer joins its group once (about 5 s on Tansu)
    first_seen, started = 0, 0.0
    while True:
        async with dispatch.engine.connect() as conn:
            done = (await conn.execute(select(func.count()).select_from(tickets))).scalar_one()
        if done and not started:
            first_seen, started = done, time.perf_counter()  # measure from the first applied batch
        if done >= events:
            break
        await asyncio.sleep(0.01)
    consume_seconds = time.perf_counter() - started
    events -= first_seen
    print(f"relay:   {len(rows)} events in {relay_seconds:.2f}s = {len(rows) / relay_seconds:,.0f} events/s")
    print(f"consume: {events} events in {consume_seconds:.2f}s = {events / consume_seconds:,.0f} events/s "
          f"(batch {settings.gongdan_consumer_batch}, inbox + projection per transaction)")
    for outcome in ("applied", "duplicate"):
        print(outcome, dispatch.metrics.registry.get_sample_value(
            "gongdan_events_consumed_total", {"type": "TicketCreated", "outcome": outcome}))
    await dispatch.stop()
    await intake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="gongdan-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        broker = EmbeddedBroker(free_port(), log_file=Path(tmp) / "broker.log")
        try:
            url = pg.start().replace("/postgres?", "/bench_{service}?")
            asyncio.run(run(args.events, url, broker.start()))
        finally:
            broker.stop()
            pg.stop()


if __name__ == "__main__":
    main()
