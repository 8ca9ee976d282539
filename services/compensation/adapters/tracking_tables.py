"""Compensation's delivery and deadline records (issue 11): every attempt to tell a customer (CT-4.6), and every
payment limit that passed unpaid (CT-3.4), as rows ops can list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)


@dataclass(frozen=True)
class TrackingTables:
    attempts: Table
    payment_breaches: Table


def tracking_tables(metadata: MetaData) -> TrackingTables:
    tz = DateTime(timezone=True)
    attempts = Table(
        "notification_attempts", metadata,
        Column("attempt_id", BigInteger, Identity(), primary_key=True),
        Column("notification_id", Uuid, ForeignKey("compensation_notifications.notification_id"), nullable=False,
               index=True),
        Column("round", Integer, nullable=False),  # the worker's delivery round (each with its own quick retries)
        Column("tries", Integer, nullable=False),
        Column("channel", String(20), nullable=False),
        Column("outcome", String(20), nullable=False),  # sent | retry | failed
        Column("reference", String(120)),  # the gateway's message id
        Column("error", Text),
        Column("at", tz, nullable=False),
    )
    breaches = Table(
        "payment_breaches", metadata,
        # CT-3.4: one row per claim whose payment limit passed while it was payable and unpaid; found by the
        # payment-deadline worker exactly once (unique claim), announced as CompensationPaymentMissed.
        Column("claim_id", Uuid, ForeignKey("compensation_claims.claim_id"), primary_key=True),
        Column("ticket_id", Uuid, nullable=False, index=True),
        Column("scheme", String(40), nullable=False),
        Column("payment_due_at", tz, nullable=False),
        Column("detected_at", tz, nullable=False),
        Column("amount", Integer, nullable=False),
        Column("closed_at", tz),  # paid late, or no longer payable (exempted, voided)
        Column("closed_how", String(20)),  # paid-late | exempt | void
    )
    return TrackingTables(attempts, breaches)


def journal_table(metadata: MetaData) -> Table:
    """The order in which compensation's own commands were made (exemption, dispute, confirmation, cut, mark):
    appended in each command's transaction, so a replay repeats them in that order even when two share a time."""
    return Table(
        "compensation_journal", metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("ref", Uuid, nullable=False),  # exemption, ticket (confirmation), batch or line id
        Column("at", DateTime(timezone=True), nullable=False),
    )
