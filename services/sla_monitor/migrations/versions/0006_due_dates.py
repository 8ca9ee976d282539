"""sla_monitor: the dispatcher's promised due date and the ticket's earliest open deadline (issue 8)

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
    op.add_column("sla_tickets", sa.Column("promised_due", sa.DateTime(timezone=True)))
    op.add_column("sla_tickets", sa.Column("due_at", sa.DateTime(timezone=True)))
    op.add_column("sla_tickets", sa.Column("due_rule", sa.String(80)))


def downgrade() -> None:
    for column in ("due_rule", "due_at", "promised_due"):
        op.drop_column("sla_tickets", column)
