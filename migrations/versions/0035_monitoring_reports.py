"""The monthly monitoring report (issue 30; 5.3): each county's figures at a month's end, kept
as revisions. A revision is only ever added (a trigger refuses a change or a deletion): a
correction that changes a figure is the next revision, with the earlier ones kept beside it.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("figures", postgresql.JSONB(), nullable=False),
        sa.Column("produced_by", sa.String(200), nullable=False),
        sa.Column(
            "produced_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_reports")),
        sa.UniqueConstraint(
            "month_end",
            "region_code",
            "revision",
            name=op.f("uq_monitoring_reports_month_end_region_code_revision"),
        ),
    )
    op.execute(
        """
        CREATE FUNCTION monitoring_reports_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'monitoring reports are kept as produced: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER monitoring_reports_no_update_delete BEFORE UPDATE OR DELETE"
        " ON monitoring_reports FOR EACH ROW EXECUTE FUNCTION monitoring_reports_kept()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER monitoring_reports_no_update_delete ON monitoring_reports")
    op.execute("DROP FUNCTION monitoring_reports_kept()")
    op.drop_table("monitoring_reports")
