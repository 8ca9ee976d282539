"""Used by each service's first migration: create the outbox, inbox and idempotency tables."""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from shared.persistence.tables import pending_outbox_index_sql, platform_tables


def create_platform_tables() -> None:
    metadata = MetaData()
    tables = platform_tables(metadata)
    metadata.create_all(op.get_bind(), tables=[tables.outbox, tables.inbox, tables.idempotency_keys])
    op.execute(pending_outbox_index_sql())


def drop_platform_tables() -> None:
    for name in ("idempotency_keys", "inbox", "outbox"):
        op.drop_table(name)


def add_parking_and_delivery_tracking() -> None:
    """Platform v2 (every service's migration 'parked events'): parked events, where each outbox row landed."""
    metadata = MetaData()
    tables = platform_tables(metadata)
    # A database created after this version got the columns with the outbox table itself.
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS kafka_partition integer")
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS kafka_offset bigint")
    metadata.create_all(op.get_bind(), tables=[tables.parked_events, tables.outbox_delivery])
    op.execute("INSERT INTO outbox_delivery (id, applied_through, updated_at) VALUES (1, 0, now()) "
               "ON CONFLICT DO NOTHING")


def drop_parking_and_delivery_tracking() -> None:
    op.drop_table("outbox_delivery")
    op.drop_table("parked_events")
    op.drop_column("outbox", "kafka_offset")
    op.drop_column("outbox", "kafka_partition")
