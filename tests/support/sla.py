"""Helpers for the SLA integration tests: publish lifecycle events through the broker, read gongdan.sla back."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import BaseModel

from shared.events import Envelope, decode, encode, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.topics import TOPICS
from shared.http.auth import Role
from tests.support.stack import Stack

_seq = itertools.count(1)
_no = itertools.count(1)


def envelope(payload: BaseModel, ticket_id: uuid.UUID, at: datetime) -> Envelope:
    """A lifecycle envelope as intake/dispatch would write it; `at` is the field time (occurred_at)."""
    return new_envelope(payload, ticket_id=ticket_id, sequence=next(_seq), occurred_at=at, recorded_at=at,
                        producer="sla-test")


def created(ticket_id: uuid.UUID, kind: str = "fault") -> TicketCreated:
    n = next(_no)
    return TicketCreated(ticket_id=ticket_id, number=f"SLA-{n:06d}", kind=kind,
                         customer=Customer(name="李四", phone="027-88880000", address=f"江汉路{n}号",
                                           account=f"SLA-{n:06d}"),
                         description="宽带断线", created_by="sla-test")


async def publish(stack: Stack, *envelopes: Envelope) -> None:
    """Produce lifecycle events to gongdan.tickets, keyed by ticket (the real broker, in order)."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(TOPICS.tickets, encode(env), key=str(env.ticket_id).encode())
    finally:
        await producer.stop()


async def topic_events(stack: Stack, topic: str, ticket_id: uuid.UUID) -> list[Envelope]:
    """Every event on `topic` keyed by this ticket (stream), read from the beginning without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - a group-less reader needs fresh metadata
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        batch = await consumer.getmany(timeout_ms=500, max_records=100_000)
        key = str(ticket_id).encode()
        return [decode(m.value) for msgs in batch.values() for m in msgs if m.key == key]
    finally:
        await consumer.stop()


async def sla_events(stack: Stack, ticket_id: uuid.UUID) -> list[Envelope]:
    """Every event on gongdan.sla for this ticket, in the monitor's order."""
    return sorted(await topic_events(stack, TOPICS.sla, ticket_id), key=lambda e: e.sequence)


def types(events: list[Envelope]) -> list[str]:
    return [e.type for e in events]


async def timers(stack: Stack, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    """GET /tickets/{id}/timers, [] while the monitor has none."""
    response = await stack.clients["sla_monitor"].get(f"/tickets/{ticket_id}/timers", headers=stack.auth(Role.OPS))
    return response.json()["timers"] if response.status_code == 200 else []
