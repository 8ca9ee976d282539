"""dispatch: the directory: departments, people, districts (issue 8)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.directory_copy import create_directory_tables_migration, drop_directory_tables_migration

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_tables_migration()
    # Outages name the districts they cover (callers are matched by district, not by text in their address).
    op.add_column("incidents", sa.Column("districts", JSONB, nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("incidents", "districts")
    drop_directory_tables_migration()
