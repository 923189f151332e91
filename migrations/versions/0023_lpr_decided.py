"""An LPR entry takes effect only once a second administrator approves it (issue 25): entries
get an id and a status; one entry per publication date stands (pending or in force).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lpr_rates",
        sa.Column(
            "id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
    )
    op.add_column(
        "lpr_rates",
        sa.Column("status", sa.String(10), server_default="in_force", nullable=False),
    )
    op.alter_column("lpr_rates", "id", server_default=None)
    op.alter_column("lpr_rates", "status", server_default=None)
    op.drop_constraint("pk_lpr_rates", "lpr_rates", type_="primary")
    op.create_primary_key("pk_lpr_rates", "lpr_rates", ["id"])
    op.create_check_constraint(
        "status_known", "lpr_rates", "status IN ('pending', 'in_force', 'declined', 'withdrawn')"
    )
    op.create_index(
        "uq_lpr_rates_one_per_day",
        "lpr_rates",
        ["effective_from"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'in_force')"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM lpr_rates WHERE status <> 'in_force'")
    op.drop_index("uq_lpr_rates_one_per_day", table_name="lpr_rates")
    op.drop_constraint("status_known", "lpr_rates", type_="check")
    op.drop_constraint("pk_lpr_rates", "lpr_rates", type_="primary")
    op.create_primary_key("pk_lpr_rates", "lpr_rates", ["effective_from"])
    op.drop_column("lpr_rates", "status")
    op.drop_column("lpr_rates", "id")
