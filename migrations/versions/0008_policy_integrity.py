"""Policy integrity (issue 12): one loan per roster household, terms fixed at signing, local
subsidy programmes, subsidy stops, restructuring observation, legacy LPR ceiling, unknown facts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTSTANDING = "status IN ('contracted', 'disbursing', 'active')"

# The loan prime rates as published (1-year, 5-year), each in force until the next change.
LPR_HISTORY = [
    ("2019-08-20", "0.0425", "0.0485"),
    ("2019-09-20", "0.0420", "0.0485"),
    ("2019-11-20", "0.0415", "0.0480"),
    ("2020-02-20", "0.0405", "0.0475"),
    ("2020-04-20", "0.0385", "0.0465"),
    ("2021-12-20", "0.0380", "0.0465"),
    ("2022-01-20", "0.0370", "0.0460"),
    ("2022-05-20", "0.0370", "0.0445"),
    ("2022-08-22", "0.0365", "0.0430"),
    ("2023-06-20", "0.0355", "0.0420"),
    ("2023-08-21", "0.0345", "0.0420"),
    ("2024-02-20", "0.0345", "0.0395"),
    ("2024-07-22", "0.0335", "0.0385"),
    ("2024-10-21", "0.0310", "0.0360"),
    ("2025-05-20", "0.0300", "0.0350"),
]


def upgrade() -> None:
    # 1.1: the roster household a loan is lent to, and one outstanding loan per roster household.
    op.add_column("loans", sa.Column("roster_household", sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE loans l SET roster_household = h.household_number"
        " FROM households h WHERE h.id = l.household_id"
    )
    op.create_index(
        "uq_loans_one_outstanding_per_roster_household",
        "loans",
        ["roster_household"],
        unique=True,
        postgresql_where=sa.text(f"{OUTSTANDING} AND roster_household IS NOT NULL"),
    )
    op.create_index(
        "uq_households_roster_household",
        "households",
        ["household_number"],
        unique=True,
        postgresql_where=sa.text("household_number IS NOT NULL"),
    )
    # Terms fixed at signing: the penalty markups (existing loans keep the defaults they were
    # priced with) and the local programme's cap on subsidised principal.
    for name, default in (("penalty_markup", "0.5"), ("misuse_markup", "1.0")):
        op.add_column(
            "loans",
            sa.Column(
                name, sa.Numeric(precision=6, scale=4), nullable=False, server_default=default
            ),
        )
        op.alter_column("loans", name, server_default=None)
    op.add_column(
        "loans",
        sa.Column("local_subsidised_principal", sa.Numeric(precision=14, scale=2), nullable=True),
    )
    op.execute("UPDATE loans SET local_subsidised_principal = subsidised_principal")
    op.alter_column("loans", "local_subsidised_principal", nullable=False)
    # Restructuring observation, subsidy forfeiture, a legacy extension's 2026 terms.
    op.add_column("loans", sa.Column("restructure_floor", sa.String(length=20), nullable=True))
    op.add_column("loans", sa.Column("observation_start", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("observation_end", sa.Date(), nullable=True))
    op.add_column(
        "loans",
        sa.Column(
            "observation_breached", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )
    # Loans restructured before this revision: the floor they had, observed for a year.
    op.execute(
        "UPDATE loans SET restructure_floor = 'special_mention',"
        " observation_start = restructured_on,"
        " observation_end = CAST(restructured_on + interval '1 year' AS date)"
        " WHERE restructured_on IS NOT NULL"
    )
    op.add_column("loans", sa.Column("subsidy_forfeited_from", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("extension_from", sa.Date(), nullable=True))
    op.add_column(
        "loans", sa.Column("extension_policy_version", sa.String(length=20), nullable=True)
    )
    for name in ("extension_central_rate", "extension_local_rate"):
        op.add_column("loans", sa.Column(name, sa.Numeric(precision=12, scale=10), nullable=True))
    for name in ("extension_subsidised_principal", "extension_local_subsidised_principal"):
        op.add_column("loans", sa.Column(name, sa.Numeric(precision=14, scale=2), nullable=True))
    # Claims read every non-daily accrual (pay-off true-ups, misuse reversals) as adjustments.
    op.drop_index(
        "ix_accruals_payoff", table_name="accruals", postgresql_where=sa.text("kind = 'payoff'")
    )
    op.create_index(
        "ix_accruals_adjustments",
        "accruals",
        ["region_code", "business_date"],
        postgresql_where=sa.text("kind <> 'daily'"),
    )
    # Facts a legacy import does not carry are unknown, not true.
    op.alter_column("members", "full_civil_capacity", nullable=True)
    op.alter_column("members", "has_labor_skills", nullable=True)
    # Large production (1.6): the named category and the reviewer's confirmation.
    op.add_column("applications", sa.Column("large_production_category", sa.String(length=30)))
    op.add_column("applications", sa.Column("large_production_confirmed", sa.Boolean()))
    # Regions: whether overdue days are subsidised (default: not).
    op.add_column(
        "regions",
        sa.Column(
            "subsidise_overdue_days",
            sa.Boolean(),
            nullable=False,
            server_default=sa.text("false"),
        ),
    )
    op.create_table(
        "subsidy_programmes",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("region_prefix", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=10), nullable=False),
        sa.Column("principal_cap", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_programmes")),
    )
    op.create_index(
        op.f("ix_subsidy_programmes_region_prefix"), "subsidy_programmes", ["region_prefix"]
    )
    lpr = op.create_table(
        "lpr_rates",
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("one_year", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("five_year", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("effective_from", name=op.f("pk_lpr_rates")),
    )
    op.bulk_insert(
        lpr,
        [
            {
                "effective_from": date.fromisoformat(day),
                "one_year": Decimal(one),
                "five_year": Decimal(five),
                "recorded_by": "migration 0008 (published history)",
            }
            for day, one, five in LPR_HISTORY
        ],
    )


def downgrade() -> None:
    op.drop_table("lpr_rates")
    op.drop_index(op.f("ix_subsidy_programmes_region_prefix"), table_name="subsidy_programmes")
    op.drop_table("subsidy_programmes")
    op.drop_column("regions", "subsidise_overdue_days")
    op.drop_index(
        "ix_accruals_adjustments",
        table_name="accruals",
        postgresql_where=sa.text("kind <> 'daily'"),
    )
    op.create_index(
        "ix_accruals_payoff",
        "accruals",
        ["region_code", "business_date"],
        postgresql_where=sa.text("kind = 'payoff'"),
    )
    op.drop_column("applications", "large_production_confirmed")
    op.drop_column("applications", "large_production_category")
    op.execute("UPDATE members SET full_civil_capacity = COALESCE(full_civil_capacity, true)")
    op.execute("UPDATE members SET has_labor_skills = COALESCE(has_labor_skills, true)")
    op.alter_column("members", "has_labor_skills", nullable=False)
    op.alter_column("members", "full_civil_capacity", nullable=False)
    for name in (
        "extension_local_subsidised_principal",
        "extension_subsidised_principal",
        "extension_local_rate",
        "extension_central_rate",
        "extension_policy_version",
        "extension_from",
        "subsidy_forfeited_from",
        "observation_breached",
        "observation_end",
        "observation_start",
        "restructure_floor",
        "local_subsidised_principal",
        "misuse_markup",
        "penalty_markup",
    ):
        op.drop_column("loans", name)
    op.drop_index("uq_households_roster_household", table_name="households")
    op.drop_index("uq_loans_one_outstanding_per_roster_household", table_name="loans")
    op.drop_column("loans", "roster_household")
