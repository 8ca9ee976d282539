"""Tables every service has: outbox (events to publish), inbox (events applied), idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits


@dataclass(frozen=True)
class Tables:
    outbox: Table
    inbox: Table
    idempotency_keys: Table
    parked_events: Table
    outbox_delivery: Table


def platform_tables(metadata: MetaData) -> Tables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        # Where the broker put the row when it was last published; with the consumer groups' committed offsets
        # this tells which rows every downstream service has applied (see shared/messaging/delivery.py).
        Column("kafka_partition", Integer),
        Column("kafka_offset", BigInteger),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False),
    )
    idempotency = Table(
        "idempotency_keys",
        metadata,
        Column("principal", String(limits.PERSON), primary_key=True),
        Column("key", String(limits.IDEMPOTENCY_KEY), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    parked = Table(
        "parked_events",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("message_id", Uuid, nullable=False, unique=True),
        Column("event_id", Uuid),
        Column("event_type", String(100)),
        Column("consumer_group", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", String(200)),
        Column("value", LargeBinary, nullable=False),
        Column("reason", String(2000), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("parked_at", DateTime(timezone=True), nullable=False),
        Column("replay_attempts", Integer, nullable=False, server_default="0"),
        Column("last_replay_error", String(2000)),
        Column("replayed_at", DateTime(timezone=True)),
        Column("replayed_by", String(100)),
    )
    delivery = Table(
        "outbox_delivery",
        metadata,
        Column("id", Integer, primary_key=True),
        # Every outbox row with an id at or below this one has been applied by every consumer group (with a
        # memory broker, rows above it are published again after a broker or stack restart).
        Column("applied_through", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    return Tables(outbox=outbox, inbox=inbox, idempotency_keys=idempotency, parked_events=parked,
                  outbox_delivery=delivery)


def pending_outbox_index_sql() -> str:
    """Partial index so the relay's scan stays cheap however many rows were already published."""
    return "CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (id) WHERE published_at IS NULL"

