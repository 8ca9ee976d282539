"""A handler that fails on a valid event parks only that event; what it had queued is not published."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord, TopicPartition
from sqlalchemy import select

from shared.events import Envelope, encode, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.topics import TOPICS
from shared.messaging.consumer import EventConsumer
from shared.messaging.unit_of_work import UnitOfWork
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
PROBE_TOPIC = "gongdan.test-probe"


def record(offset: int, description: str) -> ConsumerRecord:
    now = datetime.now(UTC)
    payload = TicketCreated(ticket_id=uuid.uuid4(), number="2026-KF-999999", kind="fault",
                            customer=Customer(name="n", phone="13812345678", address="a", account="ACC-1"),
                            description=description, created_by="test")
    env = new_envelope(payload, ticket_id=payload.ticket_id, sequence=1, occurred_at=now, recorded_at=now,
                       producer="intake")
    value = encode(env)
    return ConsumerRecord(TOPICS.tickets, 0, offset, 0, 0, str(payload.ticket_id).encode(), value, None, 0,
                          len(value), ())


async def test_failing_handler_parks_its_event_and_drops_what_it_queued(stack: Stack) -> None:
    marker = uuid.uuid4().hex

    async def handler(uow: UnitOfWork, event: Envelope) -> None:
        uow.publish_raw(PROBE_TOPIC, marker, event.payload.description.encode(), uuid.uuid4())
        if event.payload.description == "poison":
            raise RuntimeError("cannot apply this one")

    runtime = stack.runtime("dispatch")
    consumer = EventConsumer(group_id=f"test-{marker}", topics=[TOPICS.tickets], bootstrap="unused",
                             handlers={"TicketCreated": handler}, new_uow=runtime.new_uow, metrics=runtime.metrics)
    batch = [record(1, "good-1"), record(2, "poison"), record(3, "good-2")]
    await consumer.apply({TopicPartition(TOPICS.tickets, 0): batch})

    outbox = runtime.spec.tables.outbox
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.topic, outbox.c.key, outbox.c.value)
                                   .where(outbox.c.key.in_([marker, batch[1].key.decode()])))).all()
    probes = sorted(r.value.decode() for r in rows if r.topic == PROBE_TOPIC)
    assert probes == ["good-1", "good-2"]
    parked = [json.loads(r.value) for r in rows if r.topic == TOPICS.dead_letter]
    assert len(parked) == 1
    assert parked[0]["reason"] == "handler failed: RuntimeError: cannot apply this one"
    assert parked[0]["source"]["offset"] == 2

    await consumer.apply({TopicPartition(TOPICS.tickets, 0): batch})  # redelivery: nothing applied twice
    async with runtime.engine.connect() as conn:
        again = (await conn.execute(select(outbox.c.value).where(outbox.c.key == marker))).all()
    assert len(again) == 2
