"""sla_monitor: drop ix_sla_timers_ticket; uq_sla_timers_ticket_family_round leads with ticket_id and serves the same
lookups, so the second index was only upkeep on every timer written (issue 13)

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sla_timers_ticket", table_name="sla_timers")


def downgrade() -> None:
    op.create_index("ix_sla_timers_ticket", "sla_timers", ["ticket_id"])
