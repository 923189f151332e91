"""monitoring visits, renewal and extension requests, loan chains, legacy references

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_requests",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("repayment_method", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("annual_rate", sa.Numeric(precision=12, scale=10), nullable=True),
        sa.Column("local_subsidy_rate", sa.Numeric(precision=12, scale=10), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("restructuring", sa.Boolean(), nullable=False),
        sa.Column("new_loan_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_chain_requests_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_requests")),
    )
    op.create_index(op.f("ix_chain_requests_loan_id"), "chain_requests", ["loan_id"], unique=False)
    op.create_index(
        "uq_chain_requests_one_open_per_loan",
        "chain_requests",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.create_table(
        "monitoring_visits",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("loan_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("finding", sa.String(length=40), nullable=False),
        sa.Column("misused_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("corrects_misuse", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_monitoring_visits_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_visits")),
    )
    op.create_index(
        op.f("ix_monitoring_visits_loan_id"), "monitoring_visits", ["loan_id"], unique=False
    )
    op.add_column("loans", sa.Column("chain_id", sa.UUID(), nullable=True))
    op.add_column("loans", sa.Column("renewed_from_id", sa.UUID(), nullable=True))
    op.add_column(
        "loans", sa.Column("chain_actions", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "loans", sa.Column("extension_months", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("loans", sa.Column("last_visit_on", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("misuse_since", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("misuse_finding", sa.String(length=40), nullable=True))
    op.add_column(
        "loans", sa.Column("misuse_amount", sa.Numeric(precision=14, scale=2), nullable=True)
    )
    op.add_column("loans", sa.Column("external_ref", sa.String(length=60), nullable=True))
    op.create_index(op.f("ix_loans_chain_id"), "loans", ["chain_id"], unique=False)
    op.create_unique_constraint(op.f("uq_loans_external_ref"), "loans", ["external_ref"])
    op.create_foreign_key(
        op.f("fk_loans_renewed_from_id_loans"), "loans", "loans", ["renewed_from_id"], ["id"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_loans_renewed_from_id_loans"), "loans", type_="foreignkey")
    op.drop_constraint(op.f("uq_loans_external_ref"), "loans", type_="unique")
    op.drop_index(op.f("ix_loans_chain_id"), table_name="loans")
    op.drop_column("loans", "external_ref")
    op.drop_column("loans", "misuse_amount")
    op.drop_column("loans", "misuse_finding")
    op.drop_column("loans", "misuse_since")
    op.drop_column("loans", "last_visit_on")
    op.drop_column("loans", "extension_months")
    op.drop_column("loans", "chain_actions")
    op.drop_column("loans", "renewed_from_id")
    op.drop_column("loans", "chain_id")
    op.drop_index(op.f("ix_monitoring_visits_loan_id"), table_name="monitoring_visits")
    op.drop_table("monitoring_visits")
    op.drop_index(
        "uq_chain_requests_one_open_per_loan",
        table_name="chain_requests",
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.drop_index(op.f("ix_chain_requests_loan_id"), table_name="chain_requests")
    op.drop_table("chain_requests")
