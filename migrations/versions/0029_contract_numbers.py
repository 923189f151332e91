"""Contract numbers (合同编号, issue 28): county, year and a sequence, assigned at signing,
unique and searchable. Loans signed before this revision are numbered in the order they were
signed, and each county-year's sequence continues after them.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract_sequences",
        sa.Column("county", sa.String(6), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.add_column("loans", sa.Column("contract_number", sa.String(24)))
    op.execute("""
        WITH numbered AS (
            SELECT id, left(region_code, 6) AS county,
                   extract(year FROM signed_on)::int AS year,
                   row_number() OVER (
                       PARTITION BY left(region_code, 6), extract(year FROM signed_on)
                       ORDER BY signed_on, created_at, id
                   ) AS n
            FROM loans
        )
        UPDATE loans SET contract_number =
            numbered.county || '-' || numbered.year || '-' || lpad(numbered.n::text, 6, '0')
        FROM numbered WHERE loans.id = numbered.id
    """)
    op.execute("""
        INSERT INTO contract_sequences (county, year, last_number)
        SELECT left(region_code, 6), extract(year FROM signed_on)::int, count(*)
        FROM loans GROUP BY 1, 2
    """)
    op.alter_column("loans", "contract_number", nullable=False)
    op.create_unique_constraint("uq_loans_contract_number", "loans", ["contract_number"])


def downgrade() -> None:
    op.drop_constraint("uq_loans_contract_number", "loans")
    op.drop_column("loans", "contract_number")
    op.drop_table("contract_sequences")
