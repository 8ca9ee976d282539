"""Intake's own database: tickets as logged (with intake's view of their status), outages, the calls the IVR
reported, platform tables."""

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Sequence, String, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits
from shared.directory_copy import DirectoryTables
from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
directory = DirectoryTables(metadata)  # intake's copy of the directory (issue 8): districts for intake

# Numbers come from a sequence: unique under concurrency, and a rolled-back intake leaves a gap, never a clash.
ticket_number_seq = Sequence("ticket_number_seq", metadata=metadata, start=1)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("customer_name", String(limits.CUSTOMER_NAME), nullable=False),
    Column("phone", String(limits.PHONE), nullable=False),
    Column("address", String(limits.ADDRESS), nullable=False),
    Column("account", String(limits.ACCOUNT), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_by", String(limits.PERSON), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(30)),
    Column("authority", String(limits.AUTHORITY)),
    Column("complaint_class", String(20)),
    Column("segment", String(30)),
    Column("area_type", String(20)),
    Column("area", String(limits.TICKET_AREA)),
    Column("district", String(limits.TICKET_AREA)),  # directory district id: given, or found in the address
    Column("product", String(20)),
    Column("priority", String(10)),
    Column("account_key", String(40)),
    Column("phone_key", String(limits.PHONE)),  # digits only, for lookups by phone
    Column("address_key", String(300)),
    Column("incident_id", Uuid),
    Column("status", String(30), nullable=False, server_default="received"),
    Column("paused_from", String(30)),
    Column("last_sequence", Integer, nullable=False, server_default="1"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("area", String(limits.OUTAGE_AREA), nullable=False),
    Column("districts", JSONB, nullable=False, server_default="[]"),  # directory district ids (issue 8)
    Column("cause", Text, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("products", JSONB, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("estimated_restore_at", DateTime(timezone=True)),
    Column("restored_at", DateTime(timezone=True)),
)

# Calls the IVR/ACD reported handled (POST /calls): one row per call id, the call's CallHandled event beside it.
calls = Table(
    "calls",
    metadata,
    Column("call_id", String(limits.REFERENCE), primary_key=True),
    Column("stream_id", Uuid, nullable=False, unique=True),  # uuid5 of the call id (shared/events/calls.py)
    Column("agent", String(limits.PERSON), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("ticket_id", Uuid),
    Column("ticket_number", String(40)),
    Column("reported_by", String(limits.PERSON), nullable=False),  # API key name of the IVR/ACD
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Uuid, nullable=False),
)
