"""Long work as jobs (issue 16): procrastinate's queue (its schema for the pinned version,
vendored under migrations/sql) and `jobs`, what the service shows of each: kind, who started
it, status, progress, timings, result and row errors.

Upgrading procrastinate means a revision that applies its migration files for the versions in
between (they ship in procrastinate/sql/migrations), never re-running this one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_SCHEMA = Path(__file__).parents[1] / "sql" / "procrastinate-3.10.0.sql"


def upgrade() -> None:
    # The driver's own execute: the file is several statements with dollar-quoted bodies, and
    # no parameters to bind.
    raw = op.get_bind().connection.driver_connection
    raw.execute(PROCRASTINATE_SCHEMA.read_text(encoding="utf-8"))
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(30)), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(12)), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("unit", sa.String(12), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progressed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("row_errors", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("row_error_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("output_name", sa.String(100), nullable=True),
        sa.Column("output_type", sa.String(100), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("queue_job_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"
        ),
        sa.CheckConstraint("done >= 0 AND (total IS NULL OR done <= total)", name="progress"),
    )
    op.create_index("ix_jobs_started_by_created", "jobs", ["started_by", "created_at"])
    op.create_index(
        "ix_jobs_unfinished",
        "jobs",
        ["status"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_table("jobs")
    op.execute("""
        DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
                   procrastinate_workers CASCADE;
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || f || ' CASCADE';
            END LOOP;
        END $$;
        DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type,
                  procrastinate_job_status;
    """)
