"""The document template a loan pins at signing (issue 30), as it pins its policy version: its
contract, subsidy notice, schedule and settlement certificate print from that version's
templates for the loan's whole life. Loans signed before this revision took the first version.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "loans",
        sa.Column("document_template", sa.String(12), nullable=False, server_default="2026.1"),
    )
    # Pinned at signing by the loan's owner from now on: no default to fall back on.
    op.alter_column("loans", "document_template", server_default=None)


def downgrade() -> None:
    op.drop_column("loans", "document_template")
