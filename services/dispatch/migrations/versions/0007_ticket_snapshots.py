"""dispatch: a snapshot of each ticket's (and work item's) folded state beside its projection (issue 13)

Loading a ticket reads the snapshot and only the events after it, so a long stream costs the same to load at
event 10,001 as at event 10. Existing tickets and items get theirs on their next write (a missing snapshot folds the stream).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("snapshot", JSONB))
    op.add_column("work_items", sa.Column("snapshot", JSONB))


def downgrade() -> None:
    op.drop_column("work_items", "snapshot")
    op.drop_column("tickets", "snapshot")
