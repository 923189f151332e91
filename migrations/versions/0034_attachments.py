"""Evidence attachments (issue 30): photos and scans of an investigation, a visit, a collection
action, a write-off proposal or an exemption case, their files in the object store under their
SHA-256. Never changed or deleted, as the audit trail: the database refuses it.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(60), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("store", sa.String(10), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("corrects_id", sa.Uuid()),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column(
            "uploaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["attachments.id"], name=op.f("fk_attachments_corrects_id_attachments")
        ),
    )
    op.create_index(
        "uq_attachments_subject_file",
        "attachments",
        ["subject_type", "subject_id", "sha256"],
        unique=True,
    )
    op.create_index("ix_attachments_region_code", "attachments", ["region_code"])
    op.execute(
        """
        CREATE FUNCTION attachments_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'attachments are kept as evidence: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER attachments_no_update_delete BEFORE UPDATE OR DELETE ON attachments"
        " FOR EACH ROW EXECUTE FUNCTION attachments_kept()"
    )
    op.execute(
        "CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments"
        " FOR EACH STATEMENT EXECUTE FUNCTION attachments_kept()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER attachments_no_truncate ON attachments")
    op.execute("DROP TRIGGER attachments_no_update_delete ON attachments")
    op.execute("DROP FUNCTION attachments_kept()")
    op.drop_table("attachments")
