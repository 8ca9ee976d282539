"""compensation: notice delivery attempts (CT-4.6) and missed payment limits (CT-3.4)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
from sqlalchemy import MetaData

from services.compensation.adapters.claim_tables import claim_tables
from services.compensation.adapters.tracking_tables import tracking_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = MetaData()
    claim_tables(metadata)  # the tables the new ones refer to (already created by 0004)
    tables = tracking_tables(metadata)
    bind = op.get_bind()
    tables.attempts.create(bind)
    tables.payment_breaches.create(bind)


def downgrade() -> None:
    op.drop_table("payment_breaches")
    op.drop_table("notification_attempts")
