"""Month-end totals read by county (issue 29): a county's finance form and claim read its loans'
totals at two month ends; with only (month_end, loan_id) indexed, each read scanned every
county's rows of the month (1,000,000 of them in a province). Month-end rows are only ever
inserted, once a month, so the index costs the batch one entry per loan per month.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_loan_month_totals_region_code_month_end",
        "loan_month_totals",
        ["region_code", "month_end"],
    )


def downgrade() -> None:
    op.drop_index("ix_loan_month_totals_region_code_month_end", table_name="loan_month_totals")
