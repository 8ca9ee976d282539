"""dispatch: network/system faults, mail and forum posts (issue 8)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SEQUENCES = ("network_fault_number_seq", "mail_number_seq", "forum_post_number_seq")


def upgrade() -> None:
    for name in _SEQUENCES:
        op.execute(f"CREATE SEQUENCE {name} START 1")
    op.create_table(
        "work_items",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("series", sa.String(20), nullable=False),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("layer", sa.String(20)),
        sa.Column("severity", sa.String(10)),
        sa.Column("staffed_room", sa.Boolean),
        sa.Column("department", sa.String(100)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("incident_id", sa.Uuid),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("work_items_series_opened", "work_items", ["series", "opened_at"])
    op.create_table(
        "work_item_events",
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("actor", sa.String(100)),
        sa.Column("role", sa.String(20)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "sequence", name="work_item_events_item_sequence"),
    )


def downgrade() -> None:
    op.drop_table("work_item_events")
    op.drop_index("work_items_series_opened", "work_items")
    op.drop_table("work_items")
    for name in _SEQUENCES:
        op.execute(f"DROP SEQUENCE {name}")
