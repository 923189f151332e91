"""Every application and loan has its loan officer (issue 17): the submitter by default; a
reassignment (an officer leaves, a branch merges) is requested by one person and decided by
another.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("officer", sa.String(200), nullable=True))
    op.execute("UPDATE applications SET officer = submitted_by")
    op.alter_column("applications", "officer", nullable=False)
    op.create_index("ix_applications_officer", "applications", ["officer"])
    op.add_column("loans", sa.Column("officer", sa.String(200), nullable=True))
    op.execute("""
        UPDATE loans l SET officer = COALESCE(
            (SELECT a.submitted_by FROM applications a WHERE a.id = l.application_id),
            l.contracted_by)
    """)
    op.alter_column("loans", "officer", nullable=False)
    op.create_index("ix_loans_officer", "loans", ["officer"])
    op.create_table(
        "officer_reassignments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("from_officer", sa.String(200), nullable=False),
        sa.Column("to_officer", sa.String(200), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(12)), nullable=False),
        sa.Column("loan_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("moved_loans", sa.Integer(), nullable=True),
        sa.Column("moved_applications", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'approved', 'declined')", name="status_known"),
        sa.CheckConstraint("from_officer <> to_officer", name="to_someone_else"),
    )


def downgrade() -> None:
    op.drop_table("officer_reassignments")
    op.drop_index("ix_loans_officer", table_name="loans")
    op.drop_column("loans", "officer")
    op.drop_index("ix_applications_officer", table_name="applications")
    op.drop_column("applications", "officer")
