"""Compensation throughput: claims per second from completion events, against the platform's consume rate measured
in the same run, on real PostgreSQL and the real broker.

N same-day repair tickets (CT-eligible: FTTH, public, city centre), each a TicketCreated and a Resolved 30 h later
(late: a payable claim), are put on gongdan.tickets. Then, one after the other on the same full topic:
- platform: dispatch's consumer applies the TicketCreated events (inbox + projection per batch): events/s;
- compensation: its consumer applies all 2N events, a consumed batch at a time: every event kept as a fact, the
  claims of the batch's tickets recomputed set-based and stored (CompensationDue and the customer's notice queued):
  payable claims/s and events/s.

The two rates compared: compensation's events/s against the platform's (the ratio printed), and its claims/s (one
claim per ticket, two events each).

Run: .venv/bin/python bench/compensation.py [--tickets 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from services.catalog import load_spec
from services.compensation.adapters.tables import claims as CT
from services.dispatch.adapters.tables import tickets
from shared.clock import SystemClock
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from shared.events import encode, new_envelope, topic_for
from shared.events.catalog import Customer, TicketCreated
from shared.events.lifecycle.handling import Resolved
from shared.service import ServiceRuntime
from shared.settings import Settings


def ticket_events(n: int) -> list[tuple[str, str, bytes, uuid.UUID]]:
    start = datetime.now(UTC) - timedelta(days=3)
    created = TicketCreated(ticket_id=(tid := uuid.uuid4()), number=f"2026-KF-{n:06d}", kind="fault",
                            customer=Customer(name="bench", phone="13812345678", address="x", account=f"ACC-{n}"),
                            description="bench", created_by="bench", product="ftth-broadband", segment="public",
                            area_type="city-centre")
    done = start + timedelta(hours=30)
    resolved = Resolved(ticket_id=tid, actor="bench", role="technician", round=1, department="bench",
                        completed_at=done, cause="bench", result="bench")
    out = []
    for seq, (payload, at) in enumerate(((created, start), (resolved, done)), start=1):
        env = new_envelope(payload, ticket_id=tid, sequence=seq, occurred_at=at, recorded_at=at, producer="bench")
        out.append((topic_for(env), str(tid), encode(env), env.event_id))
    return out


async def rate(runtime: ServiceRuntime, count_query, target: int) -> tuple[int, float]:
    """(items counted from the first applied batch, seconds) until `target` items exist."""
    first, started = 0, 0.0
    while True:
        async with runtime.engine.connect() as conn:
            done = (await conn.execute(count_query)).scalar_one()
        if done and not started:
            first, started = done, time.perf_counter()
        if done >= target:
            return done - first, time.perf_counter() - started
        await asyncio.sleep(0.01)


async def run(n: int, database_url: str, bootstrap: str) -> None:
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=bootstrap,
                        gongdan_api_keys="b:admin:" + "k" * 20)
    intake = ServiceRuntime(load_spec("intake"), settings, SystemClock())
    await intake.start()
    rows = [row for i in range(n) for row in ticket_events(i)]
    async with intake.engine.begin() as conn:
        await conn.execute(insert(intake.spec.tables.outbox), [
            {"event_id": m, "topic": t, "key": k, "value": v, "created_at": datetime.now(UTC)} for t, k, v, m in rows])
    intake.relay.wake()
    while (await intake.relay.backlog())[0]:
        await asyncio.sleep(0.05)

    dispatch = ServiceRuntime(load_spec("dispatch"), settings, SystemClock())
    await dispatch.start()
    events, seconds = await rate(dispatch, select(func.count()).select_from(tickets), n)
    platform = events / seconds
    await dispatch.stop()

    compensation = ServiceRuntime(load_spec("compensation"), settings, SystemClock())
    await compensation.start()
    due = select(func.count()).select_from(CT.claims).where(CT.claims.c.status == "due")
    claims, claim_seconds = await rate(compensation, due, n)
    await compensation.stop()
    await intake.stop()
    print(f"tickets: {n} (TicketCreated + a late Resolved each: {2 * n} events on gongdan.tickets)")
    print(f"platform consume (dispatch, TicketCreated): {events} events in {seconds:.2f}s = {platform:,.0f} events/s")
    print(f"compensation: {claims} payable claims in {claim_seconds:.2f}s = {claims / claim_seconds:,.0f} claims/s "
          f"(~{2 * claims / claim_seconds:,.0f} events/s: every event kept, claims recomputed, Due + notice queued)")
    print(f"ratio: compensation events/s / platform events/s = {2 * claims / claim_seconds / platform:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="gongdan-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        broker = EmbeddedBroker(free_port(), log_file=Path(tmp) / "broker.log")
        try:
            url = pg.start().replace("/postgres?", "/bench_{service}?")
            asyncio.run(run(args.tickets, url, broker.start()))
        finally:
            broker.stop()
            pg.stop()


if __name__ == "__main__":
    main()
