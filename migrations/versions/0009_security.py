"""Security (issue 13): the audit trail keeps the request id as the response carried it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A type change rewrites the table; it is not an UPDATE, so the append-only trigger stays.
    op.alter_column(
        "audit_events",
        "request_id",
        type_=sa.String(length=64),
        existing_type=postgresql.UUID(as_uuid=True),
        postgresql_using="request_id::text",
    )


def downgrade() -> None:
    op.alter_column(
        "audit_events",
        "request_id",
        type_=postgresql.UUID(as_uuid=True),
        existing_type=sa.String(length=64),
        postgresql_using=("CASE WHEN request_id ~ '^[0-9a-fA-F-]{36}$' THEN request_id::uuid END"),
    )
