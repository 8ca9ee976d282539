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
