"""Write-off and recovery (issue 17, notice 2.1 核销): a proposal decided by a second person;
a written-off loan leaves the balance sheet and keeps its claim (账销案存), so it still counts
as the household's outstanding loan (1.1) until recoveries repay it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "status IN ('contracted', 'disbursing', 'active')"
AFTER = "status IN ('contracted', 'disbursing', 'active', 'written_off')"


def _one_outstanding(where: str) -> None:
    op.drop_index("uq_loans_one_outstanding_per_household", table_name="loans")
    op.drop_index("uq_loans_one_outstanding_per_roster_household", table_name="loans")
    op.create_index(
        "uq_loans_one_outstanding_per_household",
        "loans",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text(where),
    )
    op.create_index(
        "uq_loans_one_outstanding_per_roster_household",
        "loans",
        ["roster_household"],
        unique=True,
        postgresql_where=sa.text(f"{where} AND roster_household IS NOT NULL"),
    )


def upgrade() -> None:
    _one_outstanding(AFTER)
    op.create_table(
        "write_offs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("loan_id", sa.Uuid(), sa.ForeignKey("loans.id"), nullable=False, index=True),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("grounds", sa.String(30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column(
            "proposed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("written_off_on", sa.Date(), nullable=True),
        sa.Column("principal", sa.Numeric(14, 2), nullable=True),
        sa.Column("interest", sa.Numeric(14, 2), nullable=True),
        sa.Column("penalty", sa.Numeric(14, 2), nullable=True),
        sa.CheckConstraint("status IN ('proposed', 'approved', 'declined')", name="status_known"),
    )
    op.create_index(
        "uq_write_offs_one_live_per_loan",
        "write_offs",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('proposed', 'approved')"),
    )
    op.create_table(
        "loan_recoveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("loan_id", sa.Uuid(), sa.ForeignKey("loans.id"), nullable=False, index=True),
        sa.Column("write_off_id", sa.Uuid(), sa.ForeignKey("write_offs.id"), nullable=False),
        sa.Column("core_transaction_id", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )


def downgrade() -> None:
    op.drop_table("loan_recoveries")
    op.drop_table("write_offs")
    _one_outstanding(BEFORE)
