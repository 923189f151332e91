"""Rate guidance at decision (issue 17, notice 1.4): the suggested rate the reviewer saw, and
the reason when the contract rate is outside its band.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("suggested_rate", sa.Numeric(12, 10), nullable=True))
    op.add_column("applications", sa.Column("rate_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("applications", "rate_reason")
    op.drop_column("applications", "suggested_rate")
