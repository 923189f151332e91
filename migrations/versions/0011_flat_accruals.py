"""Storage that stays flat (issue 16): the batch deletes daily accrual rows older than the
retention once a month's totals hold them; the table is vacuumed soon after

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A month's end deletes a month of daily rows: vacuum soon after, so that the next month's
    # rows reuse the space rather than extend the table (the default waits for 20% dead rows).
    op.execute("ALTER TABLE accruals SET (autovacuum_vacuum_scale_factor = 0.02)")


def downgrade() -> None:
    op.execute("ALTER TABLE accruals RESET (autovacuum_vacuum_scale_factor)")
