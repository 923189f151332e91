"""Collections (issue 17, notice 4.3): a case per overdue spell of a loan, opened and closed by
the batch; the officer's actions with the village organisations; promises to pay, judged by
the batch.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_cases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("loan_id", sa.Uuid(), sa.ForeignKey("loans.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(20), nullable=True),
        sa.Column("bucket", sa.String(12), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=False),
    )
    op.create_index(
        "ix_collection_cases_open_loan",
        "collection_cases",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("closed_on IS NULL"),
    )
    op.create_index("ix_collection_cases_loan_id", "collection_cases", ["loan_id"])
    op.create_index(
        "ix_collection_cases_open_region",
        "collection_cases",
        ["region_code"],
        postgresql_where=sa.text("closed_on IS NULL"),
    )
    op.create_table(
        "collection_actions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "case_id", sa.Uuid(), sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("participants", postgresql.JSONB(), nullable=False),
        sa.Column("findings", postgresql.ARRAY(sa.String(20)), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_table(
        "promises_to_pay",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "case_id", sa.Uuid(), sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column("loan_id", sa.Uuid(), sa.ForeignKey("loans.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("paid", sa.Numeric(14, 2), nullable=True),
        sa.Column("judged_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("promised_on >= made_on", name="not_in_the_past"),
        sa.CheckConstraint("status IN ('open', 'kept', 'broken')", name="status_known"),
    )
    op.create_index(
        "ix_promises_to_pay_open",
        "promises_to_pay",
        ["region_code", "promised_on"],
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("promises_to_pay")
    op.drop_table("collection_actions")
    op.drop_table("collection_cases")
