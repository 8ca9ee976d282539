"""Intake's own database: tickets as logged, plus the platform tables."""

from sqlalchemy import Column, DateTime, MetaData, Sequence, String, Table, Text, Uuid

from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

# Numbers come from a sequence: unique under concurrency, and a rolled-back intake leaves a gap, never a clash.
ticket_number_seq = Sequence("ticket_number_seq", metadata=metadata, start=1)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("customer_name", String(100), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("address", String(300), nullable=False),
    Column("account", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
