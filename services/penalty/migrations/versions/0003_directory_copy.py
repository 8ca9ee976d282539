"""penalty: local copy of the directory (issue 8)

Revision ID: 0003
Revises: 0002
"""
from shared.directory_copy import create_directory_tables_migration, drop_directory_tables_migration

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_tables_migration()


def downgrade() -> None:
    drop_directory_tables_migration()
