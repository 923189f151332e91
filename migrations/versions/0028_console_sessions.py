"""Console sessions kept by the service (issue 26): signing out, revocation, the idle timeout
and the token's expiry end them.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False, unique=True),
        sa.Column("token_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("roles", ARRAY(sa.String(30)), nullable=False),
        sa.Column("regions", ARRAY(sa.String(12)), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(20)),
        sa.Column("ended_by", sa.String(200)),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('signed_out', 'revoked', 'idle', 'expired', 'token_changed')",
            name="end_reason_known",
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (end_reason IS NULL)",
            name="ended_with_reason",
        ),
    )
    op.create_index("ix_console_sessions_subject", "console_sessions", ["subject"])
    op.create_index(
        "ix_console_sessions_open",
        "console_sessions",
        ["last_seen_at"],
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
