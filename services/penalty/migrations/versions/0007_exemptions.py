"""penalty: the CT exemptions compensation announces, which take late timers out of the on-time rate (RULEBOOK §9.12)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "penalty_exemptions",
        sa.Column("exemption_id", sa.Uuid, primary_key=True),
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("code", sa.String(40), nullable=False, comment="CT-3.2 reason code"),
        sa.Column("cause", sa.String(40)),
        sa.Column("promise", sa.String(80), comment="NULL: every promise of the ticket"),
        sa.Column("rule_ids", JSONB, nullable=False, comment="SLA rules of the exempted promise(s): their families"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), comment="CT-3.3.1: disputed without a recording"),
        sa.Column("void_reason", sa.String(2000)),
    )
    op.create_index("ix_penalty_exemptions_ticket_id", "penalty_exemptions", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("penalty_exemptions")
