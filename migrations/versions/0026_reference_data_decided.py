"""Reference data that moves money takes effect once a second person decides it (issue 25):
a local subsidy programme is pending until approved; the decisions table knows the kinds for
programmes, a county's subsidy settings and lifting a suspension.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "application",
    "renewal",
    "extension",
    "write_off",
    "exemption",
    "exemption_appeal",
    "reassignment",
    "disbursement_cancel",
    "disbursement_resend",
    "misuse_correction",
    "class_override",
    "lpr_entry",
)
_AFTER = (*_BEFORE, "subsidy_programme", "region_settings", "suspension_lift")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.drop_constraint("kind_known", "decisions", type_="check")
    op.create_check_constraint("kind_known", "decisions", _kinds(_AFTER))
    op.add_column(
        "subsidy_programmes",
        sa.Column("status", sa.String(10), server_default="in_force", nullable=False),
    )
    op.alter_column("subsidy_programmes", "status", server_default=None)
    op.create_check_constraint(
        "status_known",
        "subsidy_programmes",
        "status IN ('pending', 'in_force', 'declined', 'withdrawn')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM subsidy_programmes WHERE status <> 'in_force'")
    op.drop_constraint("status_known", "subsidy_programmes", type_="check")
    op.drop_column("subsidy_programmes", "status")
    op.execute(
        "DELETE FROM decisions WHERE kind IN ('subsidy_programme', 'region_settings',"
        " 'suspension_lift')"
    )
    op.drop_constraint("kind_known", "decisions", type_="check")
    op.create_check_constraint("kind_known", "decisions", _kinds(_BEFORE))
