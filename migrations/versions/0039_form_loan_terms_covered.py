"""What a claim form's line shows of its loan, read from an index alone (issue 29): the contract
number, the policy version, the amount, the value date, the term and the rate, with the keys of
its borrower and household. A county's 10,000 lines probe their loans by key; through the
primary key each probe also read the loan's table page, and at a province's size (1,000,000
loans, 11 to a page) those pages are rarely cached. Alternated on such a database, the lines'
statement took a median of 151–186 ms with this index and 162–220 ms without it.

The end-of-day batch writes none of these columns, so its updates stay HOT. Right after it
has rewritten every loan, and until autovacuum has passed, the scan reads the table's pages as
before (the statement was then 7% slower than without the index).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERMS = [
    "borrower_member_id",
    "household_id",
    "contract_number",
    "policy_version",
    "principal",
    "value_date",
    "term_months",
    "annual_rate",
]


def upgrade() -> None:
    op.create_index("ix_loans_id_terms", "loans", ["id"], postgresql_include=TERMS)


def downgrade() -> None:
    op.drop_index("ix_loans_id_terms", table_name="loans")
