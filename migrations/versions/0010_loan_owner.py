"""One owner for a loan's life (issue 15): repayment reversals (冲正) as new entries, and
disbursements that can be cancelled and reconciled

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "repayments",
        sa.Column("kind", sa.String(length=10), server_default="posting", nullable=False),
    )
    op.add_column(
        "repayments",
        sa.Column("reverses_id", postgresql.UUID(as_uuid=True), nullable=True),
    )
    op.add_column("repayments", sa.Column("reason", sa.String(length=500), nullable=True))
    op.add_column(
        "repayments", sa.Column("effect", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_repayments_reverses_id_repayments"),
        "repayments",
        "repayments",
        ["reverses_id"],
        ["id"],
    )
    op.create_unique_constraint(op.f("uq_repayments_reverses_id"), "repayments", ["reverses_id"])
    op.create_check_constraint(
        op.f("ck_repayments_reversal_points_to_posting"),
        "repayments",
        "(kind = 'posting' AND reverses_id IS NULL)"
        " OR (kind = 'reversal' AND reverses_id IS NOT NULL)",
    )
    op.add_column("disbursements", sa.Column("reconciliation", sa.String(length=40), nullable=True))
    op.add_column(
        "disbursements",
        sa.Column("reported_transaction_id", sa.String(length=100), nullable=True),
    )
    op.add_column("disbursements", sa.Column("reported_value_date", sa.Date(), nullable=True))
    op.create_table(
        "disbursement_actions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "disbursement_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("disbursements.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
    )
    op.create_index(
        "uq_disbursement_actions_one_pending",
        "disbursement_actions",
        ["disbursement_id"],
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
    )


def downgrade() -> None:
    op.drop_table("disbursement_actions")
    op.drop_column("disbursements", "reported_value_date")
    op.drop_column("disbursements", "reported_transaction_id")
    op.drop_column("disbursements", "reconciliation")
    op.drop_constraint(
        op.f("ck_repayments_reversal_points_to_posting"), "repayments", type_="check"
    )
    op.drop_constraint(op.f("uq_repayments_reverses_id"), "repayments", type_="unique")
    op.drop_constraint(
        op.f("fk_repayments_reverses_id_repayments"), "repayments", type_="foreignkey"
    )
    op.drop_column("repayments", "effect")
    op.drop_column("repayments", "reason")
    op.drop_column("repayments", "reverses_id")
    op.drop_column("repayments", "kind")
