"""servicing: disbursements, instalments, repayments, accruals, outbox, end-of-day state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accruals",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("central_subsidy", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("local_subsidy", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("borrower_interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("penalty", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "loan_id", "kind", name=op.f("pk_accruals")),
    )
    op.create_index(
        op.f("ix_accruals_region_code_business_date"),
        "accruals",
        ["region_code", "business_date"],
        unique=False,
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "region_business_dates",
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("open_date", sa.Date(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_region_business_dates")),
    )
    op.create_table(
        "region_daily_stats",
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("active_loans", sa.Integer(), nullable=False),
        sa.Column("overdue_loans", sa.Integer(), nullable=False),
        sa.Column("npl_loans", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("overdue_balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("npl_balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("interest_accrued", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central_subsidy_accrued", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_subsidy_accrued", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty_accrued", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "business_date", name=op.f("pk_region_daily_stats")),
    )
    op.create_table(
        "risk_class_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("from_class", sa.String(length=20), nullable=False),
        sa.Column("to_class", sa.String(length=20), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_class_changes")),
    )
    op.create_index(
        op.f("ix_risk_class_changes_loan_id"), "risk_class_changes", ["loan_id"], unique=False
    )
    op.create_table(
        "disbursements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("core_transaction_id", sa.String(length=100), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_disbursements_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
        sa.UniqueConstraint(
            "core_transaction_id", name=op.f("uq_disbursements_core_transaction_id")
        ),
    )
    op.create_index(op.f("ix_disbursements_loan_id"), "disbursements", ["loan_id"], unique=False)
    op.create_index(
        "uq_disbursements_one_live_per_loan",
        "disbursements",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('requested', 'succeeded')"),
    )
    op.create_table(
        "instalments",
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("interest_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("prepaid_interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("central_share", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("local_share", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("accrual_start", sa.Date(), nullable=False),
        sa.Column("accrued_interest_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("accrued_central_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("accrued_local_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("principal_paid", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("interest_paid", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_instalments_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("loan_id", "number", name=op.f("pk_instalments")),
    )
    op.create_table(
        "repayments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("core_transaction_id", sa.String(length=100), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("penalty", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("overdue_interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("overdue_principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("interest_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("principal_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("prepaid_principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("prepayment_interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("posted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_repayments_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repayments")),
        sa.UniqueConstraint("core_transaction_id", name=op.f("uq_repayments_core_transaction_id")),
    )
    op.create_index(op.f("ix_repayments_loan_id"), "repayments", ["loan_id"], unique=False)
    op.add_column("loans", sa.Column("value_date", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("maturity_date", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column(
        "loans",
        sa.Column(
            "principal_outstanding",
            sa.Numeric(precision=14, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column("loans", sa.Column("current_instalment", sa.Integer(), nullable=True))
    op.add_column("loans", sa.Column("current_due_date", sa.Date(), nullable=True))
    op.add_column(
        "loans",
        sa.Column(
            "overdue_principal",
            sa.Numeric(precision=14, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "loans",
        sa.Column(
            "overdue_interest",
            sa.Numeric(precision=14, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column("loans", sa.Column("oldest_overdue_due", sa.Date(), nullable=True))
    op.add_column(
        "loans",
        sa.Column(
            "penalty_outstanding",
            sa.Numeric(precision=14, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "loans",
        sa.Column(
            "interest_accrued",
            sa.Numeric(precision=14, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "loans",
        sa.Column(
            "central_accrued", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "loans",
        sa.Column(
            "local_accrued", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "loans",
        sa.Column(
            "penalty_accrued", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "loans", sa.Column("days_past_due", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "loans",
        sa.Column("risk_class", sa.String(length=20), server_default="normal", nullable=False),
    )
    op.add_column("loans", sa.Column("risk_class_override", sa.String(length=20), nullable=True))
    op.add_column("loans", sa.Column("restructured_on", sa.Date(), nullable=True))

    # Room on each page for HOT updates: the daily batch rewrites every active loan row.
    op.execute("ALTER TABLE loans SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE loans RESET (fillfactor)")
    op.drop_column("loans", "restructured_on")
    op.drop_column("loans", "risk_class_override")
    op.drop_column("loans", "risk_class")
    op.drop_column("loans", "days_past_due")
    op.drop_column("loans", "penalty_accrued")
    op.drop_column("loans", "local_accrued")
    op.drop_column("loans", "central_accrued")
    op.drop_column("loans", "interest_accrued")
    op.drop_column("loans", "penalty_outstanding")
    op.drop_column("loans", "oldest_overdue_due")
    op.drop_column("loans", "overdue_interest")
    op.drop_column("loans", "overdue_principal")
    op.drop_column("loans", "current_due_date")
    op.drop_column("loans", "current_instalment")
    op.drop_column("loans", "principal_outstanding")
    op.drop_column("loans", "closed_on")
    op.drop_column("loans", "maturity_date")
    op.drop_column("loans", "value_date")
    op.drop_index(op.f("ix_repayments_loan_id"), table_name="repayments")
    op.drop_table("repayments")
    op.drop_table("instalments")
    op.drop_index(
        "uq_disbursements_one_live_per_loan",
        table_name="disbursements",
        postgresql_where=sa.text("status IN ('requested', 'succeeded')"),
    )
    op.drop_index(op.f("ix_disbursements_loan_id"), table_name="disbursements")
    op.drop_table("disbursements")
    op.drop_index(op.f("ix_risk_class_changes_loan_id"), table_name="risk_class_changes")
    op.drop_table("risk_class_changes")
    op.drop_table("region_daily_stats")
    op.drop_table("region_business_dates")
    op.drop_index(
        "ix_outbox_due", table_name="outbox", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_table("outbox")
    op.drop_index(op.f("ix_accruals_region_code_business_date"), table_name="accruals")
    op.drop_table("accruals")
