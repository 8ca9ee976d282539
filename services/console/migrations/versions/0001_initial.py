"""console: the platform tables only (it keeps no data of its own; it reads the other services' APIs)

Revision ID: 0001
Revises:
"""
from shared.persistence.platform_migration import (
    add_parking_and_delivery_tracking,
    create_platform_tables,
    drop_parking_and_delivery_tracking,
    drop_platform_tables,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    add_parking_and_delivery_tracking()


def downgrade() -> None:
    drop_parking_and_delivery_tracking()
    drop_platform_tables()
