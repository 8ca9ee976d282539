"""intake: platform tables and tickets

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from shared.persistence.platform_migration import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    op.execute("CREATE SEQUENCE ticket_number_seq START 1")
    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("customer_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tickets")
    op.execute("DROP SEQUENCE ticket_number_seq")
    drop_platform_tables()
