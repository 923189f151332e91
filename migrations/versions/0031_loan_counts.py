"""Counts of loans by county and status that a national list reads without scanning loans
(issue 29), and the national list by balance read from an index.

`loan_counts` holds each county's counts as of its last close; `loan_count_changes` holds what
changed since (a row per loan made, or moved from one status or county to another, written by a
trigger on loans, whatever code path made the change). The batch folds a county's changes into
its counts in the transaction that closes the county's day. A count is the two together, read
in one statement: exact at every moment, and small to read (a row per county and status, plus
the day's changes).

`principal_outstanding` is indexed (with the id, the list's tie-break): repayments change it,
the batch does not, so the batch's daily write of every loan stays HOT.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_counts",
        sa.Column("region_code", sa.String(12), primary_key=True),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("loans", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "loan_count_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
    )
    op.create_index("ix_loan_count_changes_region_code", "loan_count_changes", ["region_code"])
    op.execute("LOCK TABLE loans IN SHARE MODE")  # the counts start from a still picture
    op.execute("""
        INSERT INTO loan_counts (region_code, status, loans)
        SELECT region_code, status, count(*) FROM loans GROUP BY region_code, status
    """)
    op.execute("""
        CREATE FUNCTION bangfu_count_loan_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO loan_count_changes (region_code, status, change)
                VALUES (OLD.region_code, OLD.status, -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO loan_count_changes (region_code, status, change)
                VALUES (NEW.region_code, NEW.status, 1);
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER loans_counted_when_made AFTER INSERT OR DELETE ON loans
        FOR EACH ROW EXECUTE FUNCTION bangfu_count_loan_change()
    """)
    op.execute("""
        CREATE TRIGGER loans_counted_when_moved AFTER UPDATE OF status, region_code ON loans
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.region_code IS DISTINCT FROM NEW.region_code)
        EXECUTE FUNCTION bangfu_count_loan_change()
    """)
    op.create_index("ix_loans_principal_outstanding", "loans", ["principal_outstanding", "id"])


def downgrade() -> None:
    op.drop_index("ix_loans_principal_outstanding", table_name="loans")
    op.execute("DROP TRIGGER loans_counted_when_moved ON loans")
    op.execute("DROP TRIGGER loans_counted_when_made ON loans")
    op.execute("DROP FUNCTION bangfu_count_loan_change()")
    op.drop_table("loan_count_changes")
    op.drop_table("loan_counts")
