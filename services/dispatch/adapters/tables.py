"""Dispatch's own database: the event-sourced ticket streams, their query projection, outages, platform tables."""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits
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
    Column("department", String(limits.DEPARTMENT)),
    Column("technician", String(limits.PERSON)),
    Column("channel", String(30)),
    Column("complaint_class", String(20)),
    Column("segment", String(30)),
    Column("priority", String(10)),
    Column("product", String(20)),
    Column("area_type", String(20)),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("due_at", DateTime(timezone=True)),  # earliest running SLA deadline (sla_monitor's TicketDueChanged)
    Column("due_rule", String(limits.RULE_ID)),
    Column("promised_at", DateTime(timezone=True)),  # the due date the dispatcher set by hand, if any
    Column("paused_seconds", Integer, nullable=False, server_default="0"),
    Column("incident_id", Uuid),
    Column("last_event_at", DateTime(timezone=True)),
    # The folded TicketState at `last_sequence` (domain/snapshot.py), written with every append (migration 0007)
    Column("snapshot", JSONB),
)

# The latest TicketDueChanged per ticket, kept even when it arrives before the ticket (another topic, no order).
ticket_deadlines = Table(
    "ticket_deadlines",
    metadata,
    Column("ticket_id", Uuid, primary_key=True),
    Column("due_at", DateTime(timezone=True)),
    Column("rule_id", String(limits.RULE_ID)),
    Column("round", Integer, nullable=False),
)

# One row per event of a ticket's stream; (ticket_id, sequence) is unique, so two writers that folded the same
# version cannot both append (optimistic concurrency, as pyeventsourcing's originator_version).
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("ticket_id", Uuid, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(60), nullable=False),
    Column("producer", String(40), nullable=False),
    Column("actor", String(limits.PERSON)),
    Column("role", String(20)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("envelope", JSONB, nullable=False),
    PrimaryKeyConstraint("ticket_id", "sequence", name="ticket_events_ticket_sequence"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("area", String(limits.OUTAGE_AREA), nullable=False),
    Column("districts", JSONB, nullable=False, server_default="[]"),  # directory district ids (issue 8)
    Column("area_type", String(20)),
    Column("products", JSONB, nullable=False),
    Column("cause", Text, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("notice_at", DateTime(timezone=True), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("estimated_restore_at", DateTime(timezone=True)),
    Column("restored_at", DateTime(timezone=True)),
    Column("restore_notice_at", DateTime(timezone=True)),
    Column("declared_by", String(limits.PERSON), nullable=False),
    Column("version", Integer, nullable=False),
)
