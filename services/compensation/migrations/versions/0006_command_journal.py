"""compensation: the order of its own commands (for `gongdan replay compensation`)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
from sqlalchemy import MetaData

from services.compensation.adapters.tracking_tables import journal_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    journal_table(MetaData()).create(op.get_bind())


def downgrade() -> None:
    op.drop_table("compensation_journal")
