"""Storage that stays flat (issue 16): a loan's accruals from a day on, by index (the daily
rows older than the retention are deleted by the batch once a month's totals hold them)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_accruals_loan_date", "accruals", ["loan_id", "business_date"])


def downgrade() -> None:
    op.drop_index("ix_accruals_loan_date", table_name="accruals")
