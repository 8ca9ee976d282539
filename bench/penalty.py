"""Ledger throughput from breach events (issue 10), beside the platform's own consume rate, in the same run.

On the embedded PostgreSQL and broker:

1. platform: N TicketCreated on gongdan.tickets, consumed by dispatch (inbox + projection per batch), measured
   from the first applied batch to the last, as bench/pipeline.py times each stage;
2. ledger: N SlaBreached on gongdan.sla (TT-repair-22h, and every fifth TT-contact-30m), consumed by the penalty
   service under the default policy: per breach the journal, the timer outcome for the scorecards, the ticket's
   history folded (two stored events per ticket, loaded beforehand), the clauses assessed (TT-9.12 per started
   hour and TT-9.3, or TT-9.2) and the entries written exactly once. Penalty consumes gongdan.sla only here, so
   the figure is the breaches alone.

Run: .venv/bin/python -m bench.penalty [--events 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from services.catalog import load_spec
from services.dispatch.adapters.tables import tickets
from services.penalty.adapters.tables import kpi, ledger, observed
from shared.clock import SystemClock
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from shared.events import encode, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.sla import SlaBreached
from shared.events.topics import TOPICS
from shared.messaging.kafka import new_producer
from shared.service import ServiceRuntime
from shared.settings import Settings

H = timedelta(hours=1)


def ticket_event() -> tuple[str, bytes]:
    """A TicketCreated as intake publishes it (key, value): what dispatch consumes in the platform stage."""
    now = datetime.now(UTC)
    ticket_id = uuid.uuid4()
    payload = TicketCreated(ticket_id=ticket_id, number="2026-KF-000001", kind="fault",
                            customer=Customer(name="bench", phone="13812345678", address="x", account="ACC-1"),
                            description="bench", created_by="bench")
    env = new_envelope(payload, ticket_id=ticket_id, sequence=1, occurred_at=now, recorded_at=now, producer="intake")
    return str(ticket_id), encode(env)


def breach(i: int, ticket_id: uuid.UUID, at: datetime) -> bytes:
    rule = "TT-contact-30m" if i % 5 == 0 else "TT-repair-22h"
    minutes = 30 + i % 500
    payload = SlaBreached(rule_id=rule, ticket_id=ticket_id, round=1, department=f"dept-{i % 20}",
                          person=f"tech-{i % 200}", start=at - 22 * H, deadline=at, paused_seconds=0,
                          calendar="natural", provisional=False, actual=at + timedelta(minutes=minutes),
                          still_open_at=None, overdue_minutes=minutes, overdue_hours=-(-minutes // 60),
                          overdue_days=1)
    env = new_envelope(payload, ticket_id=ticket_id, sequence=1, occurred_at=at, recorded_at=at,
                       producer="sla_monitor")
    return encode(env)


async def produce(bootstrap: str, topic: str, messages: list[tuple[str, bytes]]) -> None:
    producer = new_producer(bootstrap, "bench-penalty")
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in messages]
        await producer.flush()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def measure(runtime: ServiceRuntime, count_query, total: int) -> tuple[int, float]:
    """(events measured, seconds) from the first applied batch to the last."""
    first_seen, started = 0, 0.0
    while True:
        async with runtime.engine.connect() as conn:
            done = (await conn.execute(count_query)).scalar_one()
        if done and not started:
            first_seen, started = done, time.perf_counter()
        if done >= total:
            return total - first_seen, time.perf_counter() - started
        await asyncio.sleep(0.01)


async def run(events: int, database_url: str, bootstrap: str) -> None:
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=bootstrap,
                        gongdan_api_keys="b:admin:" + "k" * 20)

    # 1. the platform's consume rate: dispatch applying TicketCreated
    await produce(bootstrap, TOPICS.tickets, [ticket_event() for _ in range(events)])
    dispatch = ServiceRuntime(load_spec("dispatch"), settings, SystemClock())
    await dispatch.start()
    n, seconds = await measure(dispatch, select(func.count()).select_from(tickets), events)
    platform = n / seconds
    await dispatch.stop()

    # 2. the ledger from breaches: penalty on gongdan.sla only, ticket histories loaded beforehand
    spec = dataclasses.replace(load_spec("penalty"), consumes=[TOPICS.sla])
    penalty = ServiceRuntime(spec, settings, SystemClock())
    await penalty.start()
    await penalty.stop_consumer()  # start it again once the histories and the breaches are in place
    at = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(events)]
    history = []
    for i, tid in enumerate(ids):
        for seq, (name, payload) in enumerate((("TicketCreated", {"ticket_id": str(tid), "kind": "fault"}),
                                               ("TicketDispatched", {"department": f"dept-{i % 20}",
                                                                     "technician": f"tech-{i % 200}"})), 1):
            history.append({"event_id": uuid.uuid4(), "ticket_id": tid, "type": name, "sequence": seq,
                            "producer": "dispatch", "occurred_at": at - 23 * H + seq * H,
                            "recorded_at": at - 23 * H + seq * H, "payload": payload})
    async with penalty.engine.begin() as conn:
        for i in range(0, len(history), 5000):
            await conn.execute(insert(observed.events), history[i:i + 5000])
    await produce(bootstrap, TOPICS.sla, [(str(tid), breach(i, tid, at)) for i, tid in enumerate(ids)])
    penalty.start_consumer()
    applied = select(func.count()).select_from(kpi.journal).where(kpi.journal.c.kind == "event")
    n, seconds = await measure(penalty, applied, events)
    ledger_rate = n / seconds
    async with penalty.engine.connect() as conn:
        entries, fen = (await conn.execute(select(func.count(), func.sum(ledger.entries.c.amount_fen)))).one()
    await penalty.stop()

    print(f"platform consume (dispatch, TicketCreated): {platform:,.0f} events/s "
          f"(batch {settings.gongdan_consumer_batch}, inbox + projection per transaction)")
    print(f"penalty ledger from breaches:               {ledger_rate:,.0f} events/s "
          f"({n} breaches in {seconds:.2f}s -> {entries} entries, {fen:,} fen)")
    print(f"ratio ledger / platform: {ledger_rate / platform:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
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
