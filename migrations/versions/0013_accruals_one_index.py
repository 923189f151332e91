"""Accruals keyed by county first (issue 16, storage): the primary key becomes (region_code,
business_date, loan_id, kind) and serves every read, so the separate (region_code,
business_date) index over every daily row goes. A loan never changes county, so the key is as
unique as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_accruals_region_code_business_date", table_name="accruals")
    op.drop_constraint("pk_accruals", "accruals", type_="primary")
    op.create_primary_key(
        "pk_accruals", "accruals", ["region_code", "business_date", "loan_id", "kind"]
    )


def downgrade() -> None:
    op.drop_constraint("pk_accruals", "accruals", type_="primary")
    op.create_primary_key("pk_accruals", "accruals", ["business_date", "loan_id", "kind"])
    op.create_index(
        "ix_accruals_region_code_business_date", "accruals", ["region_code", "business_date"]
    )
