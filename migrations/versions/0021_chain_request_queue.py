"""The reviewer's queue of renewal and extension requests (issue 18): pending ones by county
and age, without reading decided ones.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_chain_requests_pending ON chain_requests (region_code, requested_on)"
        " WHERE status = 'requested'"
    )


def downgrade() -> None:
    op.drop_index("ix_chain_requests_pending", table_name="chain_requests")
