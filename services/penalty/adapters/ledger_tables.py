"""The penalty ledger's tables (issue 10): entries, months under review, appeals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, String, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits


@dataclass(frozen=True)
class LedgerTables:
    entries: Table
    months: Table
    appeals: Table


def ledger_tables(metadata: MetaData) -> LedgerTables:
    entries = Table(
        "penalty_entries",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("seq", BigInteger, Identity(), nullable=False, unique=True),
        # Exactly once: clause (or group) + cause + kind. Redelivery, replay and a second instance collide here.
        Column("entry_key", String(400), nullable=False, unique=True),
        Column("kind", String(20), nullable=False),  # assessment | adjustment | reversal | refund | manual
        Column("clause", String(limits.RULE_ID), nullable=False, index=True),
        Column("grp", String(limits.RULE_ID)),
        Column("cause", String(200), nullable=False, index=True),
        Column("ticket_id", Uuid, index=True),
        Column("payer_kind", String(20), nullable=False),
        Column("payer_id", String(limits.DEPARTMENT)),
        Column("person", String(limits.PERSON)),
        Column("amount_fen", BigInteger, nullable=False),  # signed: a reversal is negative
        Column("original_fen", BigInteger),  # the proposed amount when the review board modified it
        Column("computation", Text, nullable=False),
        Column("numbers", JSONB, nullable=False),
        Column("evidence", JSONB, nullable=False),  # [{event_id, type, occurred_at}]
        Column("cause_at", DateTime(timezone=True), nullable=False),
        Column("month", String(7), nullable=False, index=True),
        Column("status", String(20), nullable=False, index=True),
        Column("reverses", Uuid),  # the entry this one reverses, adjusts or refunds
        Column("source", String(10), nullable=False),  # event | manual
        Column("note", Text),
        Column("attachment", String(limits.REFERENCE)),
        Column("history", JSONB, nullable=False),  # [{at, by, action, …}]
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    months = Table(
        "penalty_months",
        metadata,
        Column("month", String(7), primary_key=True),
        Column("status", String(10), nullable=False),  # closed (open months have no row)
        Column("closed_at", DateTime(timezone=True), nullable=False),
        Column("closed_by", String(limits.PERSON), nullable=False),
    )
    appeals = Table(
        "penalty_appeals",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("entry_id", Uuid, nullable=False, unique=True),
        Column("status", String(20), nullable=False),  # reviewing | approved | rejected
        Column("grounds", Text, nullable=False),
        Column("filed_by", String(limits.PERSON), nullable=False),
        Column("filed_at", DateTime(timezone=True), nullable=False),
        Column("steps", JSONB, nullable=False),  # [{step, approve, by, role, at, note}]
        Column("refund_entry_id", Uuid),
    )
    return LedgerTables(entries, months, appeals)
