"""index loans closed in a period, for subsidy claims

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_loans_closed_on",
        "loans",
        ["closed_on"],
        unique=False,
        postgresql_where=sa.text("closed_on IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_loans_closed_on", table_name="loans", postgresql_where=sa.text("closed_on IS NOT NULL")
    )
