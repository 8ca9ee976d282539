"""sla_monitor: local copy of the directory (issue 8)

Revision ID: 0005
Revises: 0004
"""
from shared.directory_copy import create_directory_tables_migration, drop_directory_tables_migration

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_tables_migration()


def downgrade() -> None:
    drop_directory_tables_migration()
