"""Crash anywhere, lose nothing, count nothing twice; bad messages are parked, not fatal; broker restarts survive."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select

from services.dispatch.adapters.tables import tickets as dispatch_tickets
from shared.events.topics import TOPICS
from tests.support.stack import Stack, eventually
from tests.support.tickets import post_ticket

pytestmark = pytest.mark.integration


class CrashForTest(Exception):
    """The simulated death of a consumer process."""


async def dispatch_views(stack: Stack, ids: list[str]) -> dict[str, int]:
    engine = stack.runtime("dispatch").engine
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(dispatch_tickets.c.id, dispatch_tickets.c.events_applied)
            .where(dispatch_tickets.c.id.in_([uuid.UUID(i) for i in ids]))
        )
        return {str(r.id): r.events_applied for r in rows}


def consumed(stack: Stack, service: str, outcome: str) -> float:
    return stack.runtime(service).metrics.registry.get_sample_value(
        "gongdan_events_consumed_total", {"type": "TicketCreated", "outcome": outcome}) or 0.0


async def test_consumer_killed_between_db_commit_and_offset_commit_loses_nothing_applies_nothing_twice(
    stack: Stack,
) -> None:
    runtime = stack.runtime("dispatch")

    async def die(*_: object) -> None:  # the process dies between its DB commit and its offset commit
        raise CrashForTest(runtime.consumer.group_id)

    runtime.consumer.commit_offsets = die  # type: ignore[method-assign]
    duplicates_before = consumed(stack, "dispatch", "duplicate")
    first = [(await post_ticket(stack)).json()["ticket_id"] for _ in range(5)]

    task = runtime._tasks["consumer"]
    with pytest.raises(CrashForTest):
        await asyncio.wait_for(task, timeout=15)  # died after its DB commit, before committing offsets
    more = [(await post_ticket(stack)).json()["ticket_id"] for _ in range(15)]  # the stream goes on meanwhile

    runtime._tasks.pop("consumer")
    runtime.start_consumer()
    ids = first + more
    views = await eventually(lambda: _all_present(stack, ids), timeout=30)
    assert set(views.values()) == {1}, views  # each TicketCreated applied exactly once
    assert consumed(stack, "dispatch", "duplicate") > duplicates_before  # redelivery happened and was skipped


async def _all_present(stack: Stack, ids: list[str]) -> dict[str, int] | None:
    views = await dispatch_views(stack, ids)
    return views if len(views) == len(ids) else None


async def test_invalid_messages_go_to_dead_letter_with_reason_and_the_consumer_keeps_going(stack: Stack) -> None:
    bootstrap = stack.settings.kafka_bootstrap_servers
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    marker = str(uuid.uuid4())
    unknown_version = {"type": "TicketCreated", "schema_version": 99, "marker": marker}
    unknown_type = {"type": "TicketTeleported", "schema_version": 1, "marker": marker}
    try:
        for value in (b"not json " + marker.encode(), json.dumps(unknown_version).encode(),
                      json.dumps(unknown_type).encode()):
            await producer.send_and_wait(TOPICS.tickets, value, key=marker.encode())
    finally:
        await producer.stop()

    ticket_id = (await post_ticket(stack)).json()["ticket_id"]
    await eventually(lambda: dispatch_views(stack, [ticket_id]))  # the stream was not blocked

    reasons = await eventually(lambda: _dead_letters(bootstrap, marker, "dispatch"), timeout=15)
    assert any(r.startswith("not JSON") for r in reasons)
    assert "unknown schema_version 99 for TicketCreated (known: [1])" in reasons
    assert "unknown event type 'TicketTeleported'" in reasons


async def _dead_letters(bootstrap: str, marker: str, service: str) -> list[str] | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)  # no group: no join wait
    await consumer.start()
    try:
        partitions = [TopicPartition(TOPICS.dead_letter, p) for p in consumer.partitions_for_topic(TOPICS.dead_letter)
                      or await _partitions(consumer)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        reasons = [json.loads(m.value) for msgs in batch.values() for m in msgs]
        mine = [r["reason"] for r in reasons if r["key"] == marker and r["consumer_group"] == f"gongdan-{service}"]
        return mine if len(mine) >= 3 else None
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - a group-less reader needs fresh metadata
    return consumer.partitions_for_topic(TOPICS.dead_letter) or set()


async def test_outbox_backlog_drains_to_zero(stack: Stack) -> None:
    for _ in range(10):
        await post_ticket(stack)
    count, _age = await eventually(lambda: _drained(stack), timeout=10)
    assert count == 0


async def _drained(stack: Stack):
    backlog = await stack.runtime("intake").relay.backlog()
    return backlog if backlog[0] == 0 else None


async def test_each_service_keeps_its_own_database(stack: Stack) -> None:
    names = {stack.runtime(s).engine.url.database for s in stack.apps}
    assert len(names) == len(stack.apps)  # one database per service
    async with stack.runtime("dispatch").engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(dispatch_tickets))).scalar_one() > 0
