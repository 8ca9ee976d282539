"""intake: issue-3 classification, duplicate keys, status view, outages

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = (("channel", 30), ("authority", 100), ("complaint_class", 20), ("segment", 30),
                 ("area_type", 20), ("area", 100), ("product", 20), ("priority", 10), ("account_key", 40),
                 ("address_key", 300), ("paused_from", 30))


def upgrade() -> None:
    op.alter_column("tickets", "phone", type_=sa.String(40))
    for name, length in _TEXT_COLUMNS:
        op.add_column("tickets", sa.Column(name, sa.String(length)))
    op.add_column("tickets", sa.Column("incident_id", sa.Uuid))
    op.add_column("tickets", sa.Column("status", sa.String(30), nullable=False, server_default="received"))
    op.add_column("tickets", sa.Column("last_sequence", sa.Integer, nullable=False, server_default="1"))
    # Tickets logged before this revision get their GX-5.3.1 keys (close to the Python normalisation).
    op.execute("UPDATE tickets SET account_key = upper(regexp_replace(account, '[^A-Za-z0-9]', '', 'g')), "
               "address_key = regexp_replace(lower(normalize(address, NFKC)), '[[:punct:][:space:]]', '', 'g')")
    op.create_index("tickets_account_key", "tickets", ["account_key"])
    op.create_index("tickets_address_key", "tickets", ["address_key"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("products", JSONB, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimated_restore_at", sa.DateTime(timezone=True)),
        sa.Column("restored_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_index("tickets_address_key", "tickets")
    op.drop_index("tickets_account_key", "tickets")
    for name in ("last_sequence", "status", "incident_id", *(n for n, _ in _TEXT_COLUMNS)):
        op.drop_column("tickets", name)
    op.alter_column("tickets", "phone", type_=sa.String(20))
