"""intake: local copy of the directory (issue 8)

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
    # A ticket's directory district (given at intake or found in its address); the districts an outage covers.
    op.add_column("tickets", sa.Column("district", sa.String(100)))
    op.add_column("incidents", sa.Column("districts", JSONB, nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("incidents", "districts")
    op.drop_column("tickets", "district")
    drop_directory_tables_migration()
