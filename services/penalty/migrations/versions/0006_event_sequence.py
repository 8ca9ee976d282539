"""penalty: the sequence numbering the events it publishes on gongdan.penalties (issue 10)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
from sqlalchemy import Sequence
from sqlalchemy.schema import CreateSequence, DropSequence

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEQUENCE = Sequence("penalty_event_seq")


def upgrade() -> None:
    op.execute(CreateSequence(SEQUENCE))


def downgrade() -> None:
    op.execute(DropSequence(SEQUENCE))
