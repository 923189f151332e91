"""A job's uploaded file is kept in sealed parts of a megabyte (issue 26), written and read one
at a time, so that a file up to the body limit is never held whole; a payload waiting in the
old column becomes part 0, sealed as before.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_payload_parts",
        sa.Column(
            "job_id", sa.Uuid(), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "part"),
        sa.CheckConstraint("part >= 0", name="part_from_zero"),
    )
    op.add_column("jobs", sa.Column("payload_parts", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO job_payload_parts (job_id, part, sealed)"
        " SELECT id, 0, payload FROM jobs WHERE payload IS NOT NULL"
    )
    op.execute("UPDATE jobs SET payload_parts = 1 WHERE payload IS NOT NULL")
    op.drop_column("jobs", "payload")


def downgrade() -> None:
    op.add_column("jobs", sa.Column("payload", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE jobs j SET payload = p.sealed FROM job_payload_parts p"
        " WHERE p.job_id = j.id AND p.part = 0 AND j.payload_parts = 1"
    )
    op.drop_column("jobs", "payload_parts")
    op.drop_table("job_payload_parts")
