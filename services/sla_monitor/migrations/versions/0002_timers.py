"""sla_monitor: durable SLA timers and the ticket context the rules match on

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE sla_event_seq")
    op.create_table(
        "sla_tickets",
        sa.Column("ticket_id", sa.Uuid, primary_key=True),
        sa.Column("attrs", JSONB, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("department", sa.String(100)),
        sa.Column("person", sa.String(100)),
        sa.Column("marks", JSONB, nullable=False),
    )
    op.create_table(
        "sla_timers",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("family", sa.String(80), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("start_event", sa.String(60), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("warning_at", TS, nullable=False),
        sa.Column("due_at", TS),
        sa.Column("pauses", JSONB, nullable=False),
        sa.Column("paused_since", TS),
        sa.Column("pause_reason", sa.String(40)),
        sa.Column("switched_at", TS),
        sa.Column("consumed_seconds", sa.BigInteger),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("calendar", sa.String(40), nullable=False),
        sa.Column("department", sa.String(100)),
        sa.Column("person", sa.String(100)),
        sa.Column("warned_at", TS),
        sa.Column("breached_at", TS),
        sa.Column("breach_event_id", sa.Uuid),
        sa.Column("stopped_at", TS),
        sa.Column("retracted_at", TS),
        sa.UniqueConstraint("ticket_id", "family", "round", name="uq_sla_timers_ticket_family_round"),
    )
    op.create_index("ix_sla_timers_due", "sla_timers", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL"))
    op.create_index("ix_sla_timers_ticket", "sla_timers", ["ticket_id"])
    op.create_index("ix_sla_timers_deadline", "sla_timers", ["deadline"])


def downgrade() -> None:
    op.drop_table("sla_timers")
    op.drop_table("sla_tickets")
    op.execute("DROP SEQUENCE sla_event_seq")
