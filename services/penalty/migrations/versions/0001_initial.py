"""penalty: platform tables and observed ticket facts

Revision ID: 0001
Revises:
"""
from alembic import op

from shared.observed import create_observed_tables_migration
from shared.persistence.platform_migration import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    create_observed_tables_migration()


def downgrade() -> None:
    op.drop_table("observed_events")
    op.drop_table("observed_tickets")
    drop_platform_tables()
