"""intake: lookup by number, phone and account (issue 8)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("phone_key", sa.String(40)))
    # Tickets logged before: digits only (new ones also drop a +86 prefix, services/intake/domain/phones.py).
    op.execute("UPDATE tickets SET phone_key = regexp_replace(phone, '[^0-9]', '', 'g')")
    op.create_index("tickets_phone_key", "tickets", ["phone_key"])


def downgrade() -> None:
    op.drop_index("tickets_phone_key", "tickets")
    op.drop_column("tickets", "phone_key")
