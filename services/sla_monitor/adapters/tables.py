"""SLA monitor's own database: ticket facts it has seen, durable timers, plus the platform tables."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits
from shared.directory_copy import DirectoryTables
from shared.observed import ObservedTables
from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
observed = ObservedTables(metadata)
directory = DirectoryTables(metadata)  # sla_monitor's copy of the directory (issue 8)

# Per-ticket `sequence` of the events sla_monitor publishes: monotonic (gaps allowed), no row to contend on.
event_sequence = Sequence("sla_event_seq", metadata=metadata)

# What the matcher needs to know about a ticket: attributes, responsible party, current round, start marks.
sla_tickets = Table(
    "sla_tickets",
    metadata,
    Column("ticket_id", Uuid, primary_key=True),
    Column("attrs", JSONB, nullable=False),
    Column("round", Integer, nullable=False),
    Column("department", String(limits.DEPARTMENT)),
    Column("person", String(limits.PERSON)),
    Column("marks", JSONB, nullable=False, comment="start event type -> occurred_at of the current round"),
    Column("appointment_end", DateTime(timezone=True), comment="end of the agreed visit window (CT-2.4.1)"),
    Column("promised_due", DateTime(timezone=True), comment="the due date the dispatcher set by hand"),
    Column("due_at", DateTime(timezone=True), comment="earliest open deadline, as last published"),
    Column("due_rule", String(limits.RULE_ID)),
)

# One row per (ticket, rule family, round): RULEBOOK §4 timers, fired by the scanner when `due_at` passes.
sla_timers = Table(
    "sla_timers",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("ticket_id", Uuid, nullable=False),
    Column("family", String(80), nullable=False),
    Column("rule_id", String(limits.RULE_ID), nullable=False),
    Column("round", Integer, nullable=False),
    Column("start_event", String(60), nullable=False),
    Column("status", String(12), nullable=False, comment="open | met | late | cancelled"),
    Column("start_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("warning_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), comment="next warning or breach to fire; NULL when none"),
    Column("pauses", JSONB, nullable=False, comment="closed pauses [[start, end, reason], ...]"),
    Column("paused_since", DateTime(timezone=True)),
    Column("pause_reason", String(40)),
    Column("switched_at", DateTime(timezone=True), comment="last rule change mid-flight (reclassification)"),
    Column("consumed_seconds", BigInteger, comment="allowance consumed at switched_at"),
    Column("provisional", Boolean, nullable=False),
    Column("calendar", String(40), nullable=False),
    Column("department", String(limits.DEPARTMENT)),
    Column("person", String(limits.PERSON)),
    Column("warned_at", DateTime(timezone=True)),
    Column("breached_at", DateTime(timezone=True)),
    Column("breach_event_id", Uuid),
    Column("stopped_at", DateTime(timezone=True)),
    Column("retracted_at", DateTime(timezone=True)),
    Column("appointment_end", DateTime(timezone=True), comment="deadline input of `appointment` rules"),
    UniqueConstraint("ticket_id", "family", "round", name="uq_sla_timers_ticket_family_round"),
    Index("ix_sla_timers_due", "due_at", postgresql_where=text("due_at IS NOT NULL")),
    Index("ix_sla_timers_deadline", "deadline"),
)

# RULEBOOK §9.12: exemptions from customer compensation (CompensationExemptionRecorded / …Voided, published by
# compensation on gongdan.compensation). A breach stays a fact; the timers API annotates it `exempt` while one stands.
sla_exemptions = Table(
    "sla_exemptions",
    metadata,
    Column("exemption_id", Uuid, primary_key=True),
    Column("ticket_id", Uuid, nullable=False, index=True),
    Column("code", String(40), nullable=False, comment="CT-3.2 reason code"),
    Column("cause", String(40)),
    Column("promise", String(80), comment="NULL: every promise of the ticket"),
    Column("rule_ids", JSONB, nullable=False, comment="SLA rules of the exempted promise(s): their families"),
    Column("note", String(2000), nullable=False),
    Column("automatic", Boolean, nullable=False),
    Column("clause", String(20), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("voided_at", DateTime(timezone=True)),
    Column("void_reason", String(2000)),
    Column("void_clause", String(20)),
)
