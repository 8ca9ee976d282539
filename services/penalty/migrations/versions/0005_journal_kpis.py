"""penalty: journal of what was applied (replay, what-if), SLA timer outcomes and frozen scorecards (issue 10)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
from sqlalchemy import MetaData

from services.penalty.adapters.kpi_tables import kpi_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = kpi_tables(MetaData())
    bind = op.get_bind()
    for table in (tables.journal, tables.timers, tables.scorecards):
        table.create(bind)


def downgrade() -> None:
    for name in ("penalty_scorecards", "penalty_kpi_timers", "penalty_journal"):
        op.drop_table(name)
