"""compensation: local copy of the directory (issue 8)

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(issue 8): filled in by the work named in the docstring


def downgrade() -> None:
    pass
