"""intake: calls the IVR/ACD reports handled (POST /calls, CallHandled), one row per call id

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(200), primary_key=True),
        sa.Column("stream_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket_id", sa.Uuid),
        sa.Column("ticket_number", sa.String(40)),
        sa.Column("reported_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calls")
