"""sla_monitor: the agreed appointment window end, on the ticket context and on appointment timers (CT-2.4.1)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sla_tickets", sa.Column("appointment_end", sa.DateTime(timezone=True)))
    op.add_column("sla_timers", sa.Column("appointment_end", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("sla_timers", "appointment_end")
    op.drop_column("sla_tickets", "appointment_end")
