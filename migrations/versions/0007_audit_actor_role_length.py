"""audit_events.actor_role holds every role of a token

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "audit_events",
        "actor_role",
        type_=sa.String(length=200),
        existing_type=sa.String(length=40),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "audit_events",
        "actor_role",
        type_=sa.String(length=40),
        existing_type=sa.String(length=200),
        existing_nullable=False,
    )
