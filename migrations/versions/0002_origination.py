"""origination: roster, regions, households, ratings, applications, loans

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("household_number", sa.String(length=40), nullable=True),
        sa.Column("account_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("account_masked", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
    )
    op.create_index(op.f("ix_households_region_code"), "households", ["region_code"], unique=False)
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("lending_status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_table(
        "roster_entries",
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("id_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("household_number", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("listed_date", sa.Date(), nullable=False),
        sa.Column("removed_date", sa.Date(), nullable=True),
        sa.Column("import_id", sa.UUID(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_roster_entries")),
    )
    op.create_index(
        op.f("ix_roster_entries_household_number"),
        "roster_entries",
        ["household_number"],
        unique=False,
    )
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_imports")),
    )
    op.create_table(
        "credit_ratings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("scorecard_version", sa.String(length=40), nullable=False),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("credit_limit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("major_bad_credit_record", sa.Boolean(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_credit_ratings_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ratings")),
    )
    op.create_index(
        op.f("ix_credit_ratings_household_id"), "credit_ratings", ["household_id"], unique=False
    )
    op.create_table(
        "members",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("full_civil_capacity", sa.Boolean(), nullable=False),
        sa.Column("has_labor_skills", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_members_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_members_id_hash")),
    )
    op.create_index(op.f("ix_members_household_id"), "members", ["household_id"], unique=False)
    op.create_table(
        "region_status_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_region_status_changes_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_status_changes")),
    )
    op.create_index(
        op.f("ix_region_status_changes_region_code"),
        "region_status_changes",
        ["region_code"],
        unique=False,
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("applicant_member_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("application_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("purpose_detail", sa.Text(), nullable=False),
        sa.Column("large_production", sa.Boolean(), nullable=False),
        sa.Column("large_production_reason", sa.Text(), nullable=True),
        sa.Column("repayment_method", sa.String(length=30), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decline_reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("approved_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("approved_term_months", sa.Integer(), nullable=True),
        sa.Column("approved_method", sa.String(length=30), nullable=True),
        sa.Column("annual_rate", sa.Numeric(precision=12, scale=10), nullable=True),
        sa.Column("local_subsidy_rate", sa.Numeric(precision=12, scale=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_member_id"],
            ["members.id"],
            name=op.f("fk_applications_applicant_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_applications_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        op.f("ix_applications_household_id"), "applications", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_applications_region_code_status"),
        "applications",
        ["region_code", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_applications_submitted_at_id"),
        "applications",
        ["submitted_at", "id"],
        unique=False,
    )
    op.create_table(
        "application_evaluations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("policy_version", sa.String(length=20), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_evaluations_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_evaluations")),
    )
    op.create_index(
        op.f("ix_application_evaluations_application_id"),
        "application_evaluations",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "investigations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("investigators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("project_findings", sa.Text(), nullable=False),
        sa.Column("need_is_genuine", sa.Boolean(), nullable=False),
        sa.Column("project_is_lawful", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_investigations_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
    )
    op.create_index(
        op.f("ix_investigations_application_id"), "investigations", ["application_id"], unique=False
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=True),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("borrower_member_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("policy_version", sa.String(length=20), nullable=False),
        sa.Column("principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=12, scale=10), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("repayment_method", sa.String(length=30), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("large_production", sa.Boolean(), nullable=False),
        sa.Column("central_subsidy_rate", sa.Numeric(precision=12, scale=10), nullable=False),
        sa.Column("local_subsidy_rate", sa.Numeric(precision=12, scale=10), nullable=False),
        sa.Column("subsidised_principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("contracted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_loans_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_member_id"], ["members.id"], name=op.f("fk_loans_borrower_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_loans_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("application_id", name=op.f("uq_loans_application_id")),
    )
    op.create_index(op.f("ix_loans_household_id"), "loans", ["household_id"], unique=False)
    op.create_index(
        op.f("ix_loans_region_code_status"), "loans", ["region_code", "status"], unique=False
    )
    op.create_index(
        "uq_loans_one_outstanding_per_household",
        "loans",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('contracted', 'disbursing', 'active')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_loans_one_outstanding_per_household",
        table_name="loans",
        postgresql_where=sa.text("status IN ('contracted', 'disbursing', 'active')"),
    )
    op.drop_index(op.f("ix_loans_region_code_status"), table_name="loans")
    op.drop_index(op.f("ix_loans_household_id"), table_name="loans")
    op.drop_table("loans")
    op.drop_index(op.f("ix_investigations_application_id"), table_name="investigations")
    op.drop_table("investigations")
    op.drop_index(
        op.f("ix_application_evaluations_application_id"), table_name="application_evaluations"
    )
    op.drop_table("application_evaluations")
    op.drop_index(op.f("ix_applications_submitted_at_id"), table_name="applications")
    op.drop_index(op.f("ix_applications_region_code_status"), table_name="applications")
    op.drop_index(op.f("ix_applications_household_id"), table_name="applications")
    op.drop_table("applications")
    op.drop_index(op.f("ix_region_status_changes_region_code"), table_name="region_status_changes")
    op.drop_table("region_status_changes")
    op.drop_index(op.f("ix_members_household_id"), table_name="members")
    op.drop_table("members")
    op.drop_index(op.f("ix_credit_ratings_household_id"), table_name="credit_ratings")
    op.drop_table("credit_ratings")
    op.drop_table("roster_imports")
    op.drop_index(op.f("ix_roster_entries_household_number"), table_name="roster_entries")
    op.drop_table("roster_entries")
    op.drop_table("regions")
    op.drop_index(op.f("ix_households_region_code"), table_name="households")
    op.drop_table("households")
