"""dispatch: indexes for the RULEBOOK §9.13 backdated-acts audit list and lookups by number/phone/account

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # due_at becomes the earliest running SLA deadline; the dispatcher's own date moves to promised_at.
    op.add_column("tickets", sa.Column("due_rule", sa.String(80)))
    op.add_column("tickets", sa.Column("promised_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE tickets SET promised_at = due_at")
    op.create_table(
        "ticket_deadlines",
        sa.Column("ticket_id", sa.Uuid, primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("rule_id", sa.String(80)),
        sa.Column("round", sa.Integer, nullable=False),
    )
    op.execute("CREATE INDEX ix_ticket_events_backdating ON ticket_events ((recorded_at - occurred_at))")
    op.execute("CREATE INDEX ix_tickets_number ON tickets (number)")
    op.execute("CREATE INDEX ix_tickets_phone ON tickets (regexp_replace(customer->>'phone', '[^0-9]', '', 'g'))")
    op.execute("CREATE INDEX ix_tickets_account ON tickets "
               "(upper(regexp_replace(customer->>'account', '[^[:alnum:]]', '', 'g')))")


def downgrade() -> None:
    for index in ("ix_tickets_account", "ix_tickets_phone", "ix_tickets_number", "ix_ticket_events_backdating"):
        op.execute(f"DROP INDEX {index}")
    op.drop_table("ticket_deadlines")
    op.drop_column("tickets", "promised_at")
    op.drop_column("tickets", "due_rule")
