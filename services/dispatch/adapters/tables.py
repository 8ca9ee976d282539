"""Dispatch's own database: its projection of every ticket, plus the platform tables."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("number", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(30), nullable=False),
    Column("customer", JSONB, nullable=False),
    Column("description", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("last_sequence", Integer, nullable=False),
    Column("events_applied", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
