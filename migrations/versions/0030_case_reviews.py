"""Collection cases looked at only when their bucket can move (issue 29): each open case has the
date its bucket next moves if nothing happens (`review_on`, indexed per county), and the batch
reads only the cases due. What makes a case due sooner is something happening to its loan (a
payment or a reversal moves its oldest overdue date; the loan leaves the book): a trigger on
loans marks the loan's open case for the next close, whichever code path made the change.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("collection_cases", sa.Column("review_on", sa.Date()))
    # DATE '1900-01-01' is app/domain/collections.REVIEW_AT_NEXT_CLOSE: looked at next close
    op.execute("UPDATE collection_cases SET review_on = DATE '1900-01-01' WHERE closed_on IS NULL")
    op.drop_index("ix_collection_cases_open_region", table_name="collection_cases")
    op.create_index(
        "ix_collection_cases_open_review",
        "collection_cases",
        ["region_code", "review_on"],
        postgresql_where=sa.text("closed_on IS NULL"),
    )
    op.execute("""
        CREATE FUNCTION bangfu_review_collection_case() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE collection_cases SET review_on = DATE '1900-01-01'
            WHERE loan_id = NEW.id AND closed_on IS NULL AND review_on > DATE '1900-01-01';
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER loans_review_collection_case
        AFTER UPDATE OF oldest_overdue_due, status ON loans
        FOR EACH ROW
        WHEN (OLD.oldest_overdue_due IS DISTINCT FROM NEW.oldest_overdue_due
              OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION bangfu_review_collection_case()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER loans_review_collection_case ON loans")
    op.execute("DROP FUNCTION bangfu_review_collection_case()")
    op.drop_index("ix_collection_cases_open_review", table_name="collection_cases")
    op.create_index(
        "ix_collection_cases_open_region",
        "collection_cases",
        ["region_code"],
        postgresql_where=sa.text("closed_on IS NULL"),
    )
    op.drop_column("collection_cases", "review_on")
