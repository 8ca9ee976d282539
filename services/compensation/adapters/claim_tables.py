"""Compensation's own tables (issue 11): claims (one per ticket, scheme and promise), exemptions, supervisor
confirmations of field time, payout batches and their lines, customer notifications."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import limits

PROMISE = 80  # install | repair | provision | appointment:YYYY-MM-DDTHH:MM
CODE = 40


@dataclass(frozen=True)
class ClaimTables:
    claims: Table
    exemptions: Table
    confirmations: Table
    batches: Table
    lines: Table
    notifications: Table
    event_sequence: Sequence
    announcements: Table
    clawbacks: Table


def claim_tables(metadata: MetaData) -> ClaimTables:
    tz = DateTime(timezone=True)
    claims = Table(
        "compensation_claims", metadata,
        Column("claim_id", Uuid, primary_key=True),
        Column("ticket_id", Uuid, nullable=False),
        Column("scheme", String(CODE), nullable=False),
        Column("promise", String(PROMISE), nullable=False),
        Column("number", String(40), nullable=False),
        Column("customer_name", String(limits.CUSTOMER_NAME), nullable=False),
        Column("customer_phone", String(limits.PHONE), nullable=False),
        Column("account", String(limits.ACCOUNT), nullable=False),
        Column("clause", String(CODE), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("unit", String(10), nullable=False),
        Column("status", String(20), nullable=False),  # open | met | due | exempt | void
        Column("amount", Integer, nullable=False),
        Column("days_late", Integer, nullable=False),
        Column("deadline", tz),
        Column("completion", tz),
        Column("evidence", JSONB, nullable=False),
        Column("due_since", tz),  # when it became payable
        Column("payment_due_at", tz),  # CT-3.4: completion + 7 natural days
        Column("payout_state", String(20)),  # None | batched | paid
        Column("paid_at", tz),
        Column("top_up_ref", String(limits.REFERENCE)),
        Column("created_at", tz, nullable=False),
        Column("updated_at", tz, nullable=False),
        UniqueConstraint("ticket_id", "scheme", "promise", name="uq_compensation_claim_promise"),
    )
    Index("ix_compensation_claims_status", claims.c.status, claims.c.payout_state)
    exemptions = Table(
        "compensation_exemptions", metadata,
        Column("exemption_id", Uuid, primary_key=True),
        Column("ticket_id", Uuid, nullable=False, index=True),
        Column("promise", String(PROMISE)),
        Column("code", String(CODE), nullable=False),
        Column("cause", String(CODE)),
        Column("note", Text, nullable=False),
        Column("recording_ref", String(limits.REFERENCE)),
        Column("recorded_by", String(limits.PERSON), nullable=False),
        Column("recorded_at", tz, nullable=False),
        Column("disputed_at", tz),
        Column("disputed_by", String(limits.PERSON)),
        Column("dispute_note", Text),
    )
    confirmations = Table(
        "compensation_confirmations", metadata,
        Column("ticket_id", Uuid, primary_key=True),
        Column("confirmed_by", String(limits.PERSON), nullable=False),
        Column("reason", Text, nullable=False),
        Column("confirmed_at", tz, nullable=False),
    )
    batches = Table(
        "payout_batches", metadata,
        Column("batch_id", Uuid, primary_key=True),
        Column("number", String(40), nullable=False, unique=True),
        Column("cut_off", tz, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("status", String(20), nullable=False),  # open | settled
        Column("total", Integer, nullable=False),
        Column("line_count", Integer, nullable=False),
        Column("created_by", String(limits.PERSON), nullable=False),
        Column("created_at", tz, nullable=False),
    )
    lines = Table(
        "payout_lines", metadata,
        Column("line_id", Uuid, primary_key=True),
        Column("batch_id", Uuid, ForeignKey("payout_batches.batch_id"), nullable=False, index=True),
        Column("claim_id", Uuid, ForeignKey("compensation_claims.claim_id"), nullable=False),
        Column("amount", Integer, nullable=False),
        # pending | paid | failed | removed (its claim stopped being payable before payment: out of the batch)
        Column("status", String(20), nullable=False),
        Column("top_up_ref", String(limits.REFERENCE)),
        Column("failure_reason", Text),  # failed: why; removed: why it left the batch
        Column("marked_by", String(limits.PERSON)),
        Column("marked_at", tz),
    )
    # A claim is in at most one open (pending) or paid line: never in two batches at once, never paid twice.
    Index("uq_payout_line_live_claim", lines.c.claim_id, unique=True,
          postgresql_where=text("status IN ('pending', 'paid')"))
    notifications = Table(
        "compensation_notifications", metadata,
        Column("notification_id", Uuid, primary_key=True),
        Column("claim_id", Uuid, ForeignKey("compensation_claims.claim_id"), nullable=False, unique=True),
        Column("ticket_id", Uuid, nullable=False),
        Column("phone", String(limits.PHONE), nullable=False),
        Column("language", String(5), nullable=False),
        Column("message", Text, nullable=False),
        Column("status", String(20), nullable=False),  # pending | sent | failed
        Column("channel", String(20)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        Column("created_at", tz, nullable=False),
        Column("sent_at", tz),
        Column("suppressed", Boolean, nullable=False, server_default="false"),
    )
    announcements = Table(
        # RULEBOOK §9.12: what was announced of each exemption of a ticket (CompensationExemptionRecorded, then
        # CompensationExemptionVoided), so each change is published once whatever the number of recomputations.
        "compensation_exemption_announcements", metadata,
        Column("exemption_id", Uuid, primary_key=True),  # a recorded exemption's id, or the automatic one's
        Column("ticket_id", Uuid, nullable=False, index=True),
        Column("code", String(CODE), nullable=False),
        Column("state", String(20), nullable=False),  # recorded | voided
        Column("changed_at", tz, nullable=False),
    )
    clawbacks = Table(
        # A paid claim that stopped being payable (an exemption recorded after payment, CT-3.2): the paid amount is
        # to be recovered. `cancelled` when the claim is payable again (the exemption voided, CT-3.3.1).
        "payout_clawbacks", metadata,
        Column("clawback_id", Uuid, primary_key=True),
        Column("claim_id", Uuid, ForeignKey("compensation_claims.claim_id"), nullable=False, index=True),
        Column("ticket_id", Uuid, nullable=False),
        Column("batch_id", Uuid, ForeignKey("payout_batches.batch_id"), nullable=False, index=True),
        Column("line_id", Uuid, ForeignKey("payout_lines.line_id"), nullable=False),
        Column("amount", Integer, nullable=False),  # what was paid, in the claim's minor unit
        Column("currency", String(3), nullable=False),
        Column("unit", String(10), nullable=False),
        Column("reason", Text, nullable=False),
        Column("exemption_code", String(CODE)),
        Column("state", String(20), nullable=False),  # open | cancelled
        Column("recorded_at", tz, nullable=False),
        Column("cancelled_at", tz),
        Column("cancel_reason", Text),
    )
    # At most one open clawback per claim.
    Index("uq_payout_clawback_open_claim", clawbacks.c.claim_id, unique=True, postgresql_where=text("state = 'open'"))
    return ClaimTables(claims, exemptions, confirmations, batches, lines, notifications,
                       Sequence("compensation_event_seq", metadata=metadata), announcements, clawbacks)
