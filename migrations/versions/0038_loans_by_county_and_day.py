"""A county's loans disbursed or closed in a period, found by county and day (issue 29): the claim
form's counts of new and closed loans read every loan of the county (10,000 table pages at a
province's size, 20-40 ms) to count the few of the quarter. The closed loans' index now leads with
the county, as every reader of it asks by county (the claim's loans closed in the period, the
monthly report). Neither column is one the daily batch writes, so its updates stay HOT.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED = sa.text("closed_on IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_loans_region_value_date", "loans", ["region_code", "value_date"])
    op.create_index(
        "ix_loans_region_closed_on", "loans", ["region_code", "closed_on"], postgresql_where=CLOSED
    )
    op.drop_index("ix_loans_closed_on", table_name="loans")


def downgrade() -> None:
    op.create_index("ix_loans_closed_on", "loans", ["closed_on"], postgresql_where=CLOSED)
    op.drop_index("ix_loans_region_closed_on", table_name="loans")
    op.drop_index("ix_loans_region_value_date", table_name="loans")
