"""reports: month-end loan totals, subsidy claims, per-class regional figures

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_month_totals",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("interest", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("principal_outstanding", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("risk_class", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("month_end", "loan_id", name=op.f("pk_loan_month_totals")),
    )
    op.create_table(
        "subsidy_claims",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("central_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central_adjustment", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_adjustment", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("paid_central", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("paid_local", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_claims")),
        sa.UniqueConstraint(
            "region_code", "period", name=op.f("uq_subsidy_claims_region_code_period")
        ),
    )
    op.create_table(
        "subsidy_claim_lines",
        sa.Column("claim_id", sa.UUID(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("borrower", sa.String(length=140), nullable=False),
        sa.Column("policy_version", sa.String(length=20), nullable=False),
        sa.Column("central_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_subsidy", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("central_adjustment", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("local_adjustment", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["subsidy_claims.id"],
            name=op.f("fk_subsidy_claim_lines_claim_id_subsidy_claims"),
        ),
        sa.PrimaryKeyConstraint("claim_id", "loan_id", name=op.f("pk_subsidy_claim_lines")),
    )
    op.create_index(
        "ix_accruals_payoff",
        "accruals",
        ["region_code", "business_date"],
        unique=False,
        postgresql_where=sa.text("kind = 'payoff'"),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column(
            "normal_balance", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column(
            "special_mention_balance",
            sa.Numeric(precision=16, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column(
            "substandard_balance",
            sa.Numeric(precision=16, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column(
            "doubtful_balance",
            sa.Numeric(precision=16, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column(
            "loss_balance", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column("normal_loans", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column("special_mention_loans", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column("substandard_loans", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column("doubtful_loans", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "region_daily_stats",
        sa.Column("loss_loans", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("region_daily_stats", "loss_loans")
    op.drop_column("region_daily_stats", "doubtful_loans")
    op.drop_column("region_daily_stats", "substandard_loans")
    op.drop_column("region_daily_stats", "special_mention_loans")
    op.drop_column("region_daily_stats", "normal_loans")
    op.drop_column("region_daily_stats", "loss_balance")
    op.drop_column("region_daily_stats", "doubtful_balance")
    op.drop_column("region_daily_stats", "substandard_balance")
    op.drop_column("region_daily_stats", "special_mention_balance")
    op.drop_column("region_daily_stats", "normal_balance")
    op.drop_index(
        "ix_accruals_payoff", table_name="accruals", postgresql_where=sa.text("kind = 'payoff'")
    )
    op.drop_table("subsidy_claim_lines")
    op.drop_table("subsidy_claims")
    op.drop_table("loan_month_totals")
