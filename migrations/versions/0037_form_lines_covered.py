"""What a claim form's line shows of its borrower and household, read from an index alone (issue
29): the borrower's name and masked ID by member, the household's county by household. A county's
10,000 lines probe each by key; through the primary keys each probe also read a table page, and
at a province's size (1,000,000 members) those pages are rarely cached. Members and households
are seldom changed, so their pages stay all-visible and an index-only scan reads no table page.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_members_id_shown", "members", ["id"], postgresql_include=["name", "id_masked"]
    )
    op.create_index(
        "ix_households_id_region", "households", ["id"], postgresql_include=["region_code"]
    )


def downgrade() -> None:
    op.drop_index("ix_households_id_region", table_name="households")
    op.drop_index("ix_members_id_shown", table_name="members")
