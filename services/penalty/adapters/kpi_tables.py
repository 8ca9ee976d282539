"""Tables beside the ledger: penalty's own journal of what it applied (replay, what-if), the SLA timer outcomes the
KPI scorecards count, the CT exemptions that take late timers out of the on-time rate (RULEBOOK §9.12), and the
scorecards frozen when a month is closed (issue 10)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Identity, Integer, MetaData, String, Table, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits


@dataclass(frozen=True)
class KpiTables:
    journal: Table
    timers: Table
    scorecards: Table
    exemptions: Table


def kpi_tables(metadata: MetaData) -> KpiTables:
    journal = Table(
        "penalty_journal",
        metadata,
        # The order penalty applied things in: tier counts ("first 1,000, each further 2,000") depend on it.
        Column("seq", BigInteger, Identity(), primary_key=True),
        # event: a consumed envelope (re-derived on replay); entry-insert / entry-update / month-closed: a person's
        # act on the ledger (manual entry, review, appeal, refund, close), applied verbatim on replay.
        Column("kind", String(20), nullable=False),
        Column("event_id", Uuid, unique=True),
        Column("type", String(60)),
        Column("body", JSONB, nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False),
    )
    timers = Table(
        "penalty_kpi_timers",
        metadata,
        # sla_monitor runs one timer per rule family and round; the rule is the one that ended it.
        Column("ticket_id", Uuid, primary_key=True),
        Column("family", String(limits.RULE_ID), primary_key=True),
        Column("round", Integer, primary_key=True),
        Column("rule_id", String(limits.RULE_ID), nullable=False, index=True),
        Column("department", String(limits.DEPARTMENT)),
        Column("person", String(limits.PERSON)),
        Column("deadline", DateTime(timezone=True), nullable=False, index=True),
        Column("outcome", String(10), nullable=False),  # met | late
        Column("actual", DateTime(timezone=True)),
        Column("event_ids", JSONB, nullable=False),
    )
    scorecards = Table(
        "penalty_scorecards",
        metadata,
        Column("month", String(7), primary_key=True),
        Column("body", JSONB, nullable=False),  # the whole month's scorecards as GET /scorecards showed them
        Column("frozen_at", DateTime(timezone=True), nullable=False),
    )
    exemptions = Table(
        "penalty_exemptions",
        metadata,
        # As compensation announced them (CompensationExemptionRecorded / Voided, migration 0007)
        Column("exemption_id", Uuid, primary_key=True),
        Column("ticket_id", Uuid, nullable=False, index=True),
        Column("code", String(40), nullable=False),  # CT-3.2 reason code
        Column("cause", String(40)),
        Column("promise", String(80)),  # NULL: every promise of the ticket
        Column("rule_ids", JSONB, nullable=False),  # SLA rules of the exempted promise(s): their families are exempt
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("voided_at", DateTime(timezone=True)),  # CT-3.3.1: disputed without a recording
        Column("void_reason", String(limits.FREE_TEXT)),
    )
    return KpiTables(journal, timers, scorecards, exemptions)
