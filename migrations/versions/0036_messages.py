"""Messages to borrowers (issue 30): each text as written, the gateway's receipts, the
households' wishes and the scheduled passes, all only ever added to (a trigger refuses a change
or a deletion); a county's reminder days; a county's loans by signing day.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = ("messages", "message_receipts", "message_preferences", "message_runs")


def upgrade() -> None:
    op.add_column(
        "regions",
        sa.Column(
            "reminder_days",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{3}'"),
            nullable=False,
        ),
    )
    op.create_index("ix_loans_region_signed_on", "loans", ["region_code", "signed_on"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("template", sa.String(12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outbox_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_messages_household_id_households")
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name=op.f("fk_messages_loan_id_loans")),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_messages_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_messages_key")),
    )
    op.create_index("ix_messages_region_created", "messages", ["region_code", "created_at"])
    op.create_index("ix_messages_loan", "messages", ["loan_id"])
    op.create_index("ix_messages_household", "messages", ["household_id"])
    op.create_table(
        "message_receipts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("gateway_message_id", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_receipts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_receipts")),
        sa.UniqueConstraint(
            "message_id", "status", name=op.f("uq_message_receipts_message_id_status")
        ),
    )
    op.create_table(
        "message_preferences",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_message_preferences_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_preferences")),
    )
    op.create_index(
        op.f("ix_message_preferences_household_id"), "message_preferences", ["household_id"]
    )
    op.create_table(
        "message_runs",
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column(
            "done_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("region_code", "kind", "period", name=op.f("pk_message_runs")),
    )
    op.execute(
        """
        CREATE FUNCTION messages_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'messages and their records are kept as written: % on % refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    for table in KEPT:
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION messages_kept()"
        )


def downgrade() -> None:
    for table in KEPT:
        op.execute(f"DROP TRIGGER {table}_no_update_delete ON {table}")
    op.execute("DROP FUNCTION messages_kept()")
    for table in reversed(KEPT):
        op.drop_table(table)
    op.drop_index("ix_loans_region_signed_on", table_name="loans")
    op.drop_column("regions", "reminder_days")
