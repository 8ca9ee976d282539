"""compensation: the exemptions it announced (RULEBOOK §9.12) and clawbacks of paid claims no longer payable

Revision ID: 0007
Revises: 0006
"""
from alembic import op
from sqlalchemy import MetaData

from services.compensation.adapters.claim_tables import claim_tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = claim_tables(MetaData())  # the tables the new ones refer to (already created by 0004)
    bind = op.get_bind()
    tables.announcements.create(bind)
    tables.clawbacks.create(bind)


def downgrade() -> None:
    op.drop_table("payout_clawbacks")
    op.drop_table("compensation_exemption_announcements")
