"""penalty: the ledger (entries exactly once per clause and cause), closed months, appeals (issue 10)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
from sqlalchemy import MetaData

from services.penalty.adapters.ledger_tables import ledger_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = ledger_tables(MetaData())
    bind = op.get_bind()
    for table in (tables.entries, tables.months, tables.appeals):
        table.create(bind)


def downgrade() -> None:
    for name in ("penalty_appeals", "penalty_months", "penalty_entries"):
        op.drop_table(name)
