"""penalty: parked events (poison events kept for replay) and where each outbox row landed on the broker

Revision ID: 0002
Revises: 0001
"""
from shared.persistence.platform_migration import (
    add_parking_and_delivery_tracking,
    drop_parking_and_delivery_tracking,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_parking_and_delivery_tracking()


def downgrade() -> None:
    drop_parking_and_delivery_tracking()
