"""compensation: claims (one per ticket, scheme and promise), exemptions, confirmations, payout batches and lines,
customer notifications (issue 11)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
from sqlalchemy import MetaData
from sqlalchemy.schema import CreateSequence, DropSequence

from services.compensation.adapters.claim_tables import claim_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = claim_tables(MetaData())
    bind = op.get_bind()
    op.execute(CreateSequence(tables.event_sequence))
    for table in (tables.claims, tables.exemptions, tables.confirmations, tables.batches, tables.lines,
                  tables.notifications):
        table.create(bind)


def downgrade() -> None:
    for name in ("compensation_notifications", "payout_lines", "payout_batches", "compensation_confirmations",
                 "compensation_exemptions", "compensation_claims"):
        op.drop_table(name)
    op.execute(DropSequence(claim_tables(MetaData()).event_sequence))
