"""The scanner: timers survive a scanner restart, two instances emit each breach once, late stops are handled."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.catalog import load_spec
from services.sla_monitor.adapters.tables import sla_timers
from services.sla_monitor.service_layer.config import load_config
from services.sla_monitor.service_layer.scanner import timer_scanner
from shared.events import decode
from shared.events.lifecycle import ContactEstablished, Resolved, TicketDispatched
from shared.events.vocabulary import Role
from shared.http.auth import Role as Access
from shared.messaging.relay import OutboxRelay
from shared.persistence.database import create_engine, service_url
from shared.service import ServiceRuntime
from tests.support.scanning import scan_until_idle
from tests.support.sla import created, envelope, publish, sla_events, timers, types
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
MIN = timedelta(minutes=1)


def dispatched(tid: uuid.UUID) -> TicketDispatched:
    return TicketDispatched(ticket_id=tid, actor="desk-1", role=Role.dispatcher, department="hanyang-maint")


async def start_tickets(stack: Stack, n: int) -> list[uuid.UUID]:
    t0 = stack.clock.now()
    ids = [uuid.uuid4() for _ in range(n)]
    await publish(stack, *(env for tid in ids for env in (envelope(created(tid), tid, t0),
                                                          envelope(dispatched(tid), tid, t0))))
    await eventually(lambda: _timer_count(stack, ids, 2 * n), timeout=20)
    return ids


async def _timer_count(stack: Stack, ids: list[uuid.UUID], want: int) -> bool:
    async with stack.runtime("sla_monitor").engine.connect() as conn:
        rows = (await conn.execute(select(sla_timers.c.id).where(sla_timers.c.ticket_id.in_(ids)))).all()
    return len(rows) >= want


async def breaches(stack: Stack, ids: list[uuid.UUID]) -> Counter:
    """SlaBreached per (ticket, rule) as written to the outbox (what the relay publishes)."""
    outbox = stack.runtime("sla_monitor").spec.tables.outbox
    async with stack.runtime("sla_monitor").engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.value).where(outbox.c.key.in_([str(i) for i in ids])))).all()
    events = [decode(r.value) for r in rows]
    return Counter((e.ticket_id, e.payload.rule_id) for e in events if e.type == "SlaBreached")


async def test_timers_live_in_the_database_and_fire_after_the_scanner_restarts(stack: Stack) -> None:
    runtime = stack.runtime("sla_monitor")
    [tid] = await start_tickets(stack, 1)
    worker = runtime._tasks.pop("timer-scanner")  # noqa: SLF001 - stop only the worker, as a crash would
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    try:
        stack.clock.advance(40 * MIN)
        await asyncio.sleep(0.6)
        assert not await breaches(stack, [tid])  # nobody scanning: nothing fired, nothing lost
    finally:
        runtime._spawn("timer-scanner", timer_scanner(runtime))  # noqa: SLF001 - a fresh process would
    assert await eventually(lambda: breaches(stack, [tid])) == Counter({(tid, "TT-contact-30m"): 1})
    events = await eventually(lambda: _on_kafka(stack, tid, "SlaBreached"), timeout=15)
    assert events[0].payload.still_open_at == stack.clock.now()


async def _on_kafka(stack: Stack, tid: uuid.UUID, kind: str) -> list | None:
    events = [e for e in await sla_events(stack, tid) if e.type == kind]
    return events or None


async def test_two_instances_emit_each_breach_exactly_once(stack: Stack) -> None:
    ids = await start_tickets(stack, 40)
    main = stack.runtime("sla_monitor")
    second = ServiceRuntime(load_spec("sla_monitor"), stack.settings, stack.clock)  # a second process
    second.engine = create_engine(service_url(stack.settings.database_url, "sla_monitor"))
    second.config = load_config(stack.settings)
    # not run: the one relay per database publishes
    second.relay = OutboxRelay(second.engine, second.spec.tables, main.producer, stack.clock, second.metrics)
    small = replace(load_config(stack.settings), scan_batch=3)
    second._spawn("timer-scanner", timer_scanner(second))  # noqa: SLF001 - the second instance's worker only
    try:
        stack.clock.advance(23 * 60 * MIN)  # past both TT-contact-30m and TT-repair-22h (+ grace)
        handled = await asyncio.gather(*(scan_until_idle(rt, small) for rt in (main, second, main, second)))
        counts = await eventually(lambda: _all_breached(stack, ids), timeout=20)
    finally:
        task = second._tasks.pop("timer-scanner")  # noqa: SLF001
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await second.engine.dispose()
    assert set(counts.values()) == {1} and len(counts) == 2 * len(ids)
    assert sum(handled) <= 2 * len(ids)  # no timer was handled twice by the concurrent scans


async def _all_breached(stack: Stack, ids: list[uuid.UUID]) -> Counter | None:
    counts = await breaches(stack, ids)
    return counts if len(counts) == 2 * len(ids) else None


async def test_a_stop_arriving_within_the_grace_period_prevents_the_breach(stack: Stack) -> None:
    [tid] = await start_tickets(stack, 1)
    t0 = stack.clock.now()
    stack.clock.advance(31 * MIN)  # contact deadline passed, grace (2 min) not yet
    await asyncio.sleep(0.6)
    contact = ContactEstablished(ticket_id=tid, actor="li", role=Role.technician)
    await publish(stack, envelope(contact, tid, t0 + 29 * MIN))
    await eventually(lambda: _on_kafka(stack, tid, "SlaMet"), timeout=15)
    stack.clock.advance(5 * MIN)
    await asyncio.sleep(0.6)
    assert not await breaches(stack, [tid])


async def test_a_late_arriving_resolved_retracts_the_breach(stack: Stack) -> None:
    [tid] = await start_tickets(stack, 1)
    t0 = stack.clock.now()
    stack.clock.advance(22 * 60 * MIN + 3 * MIN)  # TT-repair-22h deadline + grace passed: breach fires
    await eventually(lambda: _repair_breached(stack, tid))
    resolved = Resolved(ticket_id=tid, actor="li", role=Role.technician, round=1, department="hanyang-maint")
    await publish(stack, envelope(resolved, tid, t0 + 21 * 60 * MIN))  # happened in time, reached us late
    events = await eventually(lambda: _on_kafka(stack, tid, "SlaBreachRetracted"), timeout=15)
    retraction = events[0].payload
    repair = next(r for r in await timers(stack, tid) if r["rule_id"] == "TT-repair-22h")
    assert repair["state"] == "met" and repair["retracted"] is True
    assert str(retraction.breach_event_id) == repair["breach_event_id"]
    kafka = types(await sla_events(stack, tid))
    assert kafka.index("SlaBreachRetracted") < kafka.index("SlaMet")
    breached = await stack.clients["sla_monitor"].get("/timers/breached", params={"rule_id": "TT-repair-22h",
                                                      "limit": 1000}, headers=stack.auth(Access.DISPATCHER))
    assert str(tid) not in {t["ticket_id"] for t in breached.json()["timers"]}


async def _repair_breached(stack: Stack, tid: uuid.UUID) -> bool:
    return any(r["rule_id"] == "TT-repair-22h" and r["state"] == "breached" for r in await timers(stack, tid))
