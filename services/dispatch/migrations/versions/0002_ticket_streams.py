"""dispatch: event-sourced ticket streams, a richer projection, outages

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

_TEXT_COLUMNS = (("department", 100), ("technician", 100), ("channel", 30), ("complaint_class", 20),
                 ("segment", 30), ("priority", 10), ("product", 20), ("area_type", 20))


def upgrade() -> None:
    for name, length in _TEXT_COLUMNS:
        op.add_column("tickets", sa.Column(name, sa.String(length)))
    op.add_column("tickets", sa.Column("round", sa.Integer, nullable=False, server_default="1"))
    op.add_column("tickets", sa.Column("due_at", sa.DateTime(timezone=True)))
    op.add_column("tickets", sa.Column("paused_seconds", sa.Integer, nullable=False, server_default="0"))
    op.add_column("tickets", sa.Column("incident_id", sa.Uuid))
    op.add_column("tickets", sa.Column("last_event_at", sa.DateTime(timezone=True)))
    op.create_index("tickets_received", "tickets", ["received_at", "id"])
    op.create_index("tickets_department_state", "tickets", ["department", "state"])
    op.create_index("tickets_technician_state", "tickets", ["technician", "state"])
    op.create_index("tickets_incident", "tickets", ["incident_id"])
    op.create_table(
        "ticket_events",
        sa.Column("ticket_id", sa.Uuid, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("producer", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100)),
        sa.Column("role", sa.String(20)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "sequence", name="ticket_events_ticket_sequence"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("area_type", sa.String(20)),
        sa.Column("products", JSONB, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("notice_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimated_restore_at", sa.DateTime(timezone=True)),
        sa.Column("restored_at", sa.DateTime(timezone=True)),
        sa.Column("restore_notice_at", sa.DateTime(timezone=True)),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("ticket_events")
    for name in ("tickets_incident", "tickets_technician_state", "tickets_department_state", "tickets_received"):
        op.drop_index(name, "tickets")
    for name in ("last_event_at", "incident_id", "paused_seconds", "due_at", "round", *(n for n, _ in _TEXT_COLUMNS)):
        op.drop_column("tickets", name)
