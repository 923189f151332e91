"""Reversals core banking sent that could not be applied (a paid-off loan whose household has
borrowed again) are kept as cases for a person (issue 25).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reversal_cases",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("loan_id", UUID(as_uuid=True), sa.ForeignKey("loans.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column(
            "repayment_id", UUID(as_uuid=True), sa.ForeignKey("repayments.id"), nullable=False
        ),
        sa.Column("core_transaction_id", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("conflict", sa.Text, nullable=False),
        sa.Column("received_by", sa.String(200), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("settled_by", sa.String(200)),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.Column("settlement", sa.Text),
    )
    op.create_index("ix_reversal_cases_loan_id", "reversal_cases", ["loan_id"])
    op.create_index("ix_reversal_cases_region_code", "reversal_cases", ["region_code"])


def downgrade() -> None:
    op.drop_table("reversal_cases")
