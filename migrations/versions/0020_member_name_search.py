"""Find a household by a member's name (issue 18): names searched by prefix.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_members_name_prefix ON members (name text_pattern_ops)")


def downgrade() -> None:
    op.drop_index("ix_members_name_prefix", table_name="members")
