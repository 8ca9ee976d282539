"""sla_monitor: local copy of the directory (issue 8)

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(issue 8): filled in by the work named in the docstring


def downgrade() -> None:
    pass
