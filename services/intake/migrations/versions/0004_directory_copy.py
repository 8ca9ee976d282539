"""intake: local copy of the directory (issue 8)

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(issue 8): filled in by the work named in the docstring


def downgrade() -> None:
    pass
