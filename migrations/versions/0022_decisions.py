"""One decision mechanism (issue 25): every four-eyes request and its decision in `decisions`,
moved out of applications, chain requests, write-offs, disbursement actions and officer
reassignments (their decided-by columns go); a request may be withdrawn.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

# The SQL below is composed only from this file's constants (table, column and status names).
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
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
STATUSES = ("pending", "approved", "declined", "withdrawn")


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# a feature's status -> the decision's (anything past its pending status was approved)
_STATUS = (
    "CASE {col} WHEN '{pending}' THEN 'pending' WHEN 'declined' THEN 'declined'"
    " WHEN 'withdrawn' THEN 'withdrawn' ELSE 'approved' END"
)


# Each feature's requests, as (its rows, kind, loan, application, region, its pending status,
# the state asked in, reason, asker, asking time): the columns the decision takes them from.
_SOURCES = (
    ("applications t", "'application'", "NULL", "t.id", "t.region_code", "submitted",
     "submitted", "NULL", "t.submitted_by", "t.submitted_at"),
    ("chain_requests t", "t.kind", "t.loan_id", "NULL", "t.region_code", "requested",
     "active", "t.reason", "t.requested_by", "t.created_at"),
    ("write_offs t", "'write_off'", "t.loan_id", "NULL", "t.region_code", "proposed",
     "active", "t.reason", "t.proposed_by", "t.proposed_at"),
    ("disbursement_actions t JOIN disbursements d ON d.id = t.disbursement_id",
     "'disbursement_' || t.kind", "d.loan_id", "NULL", "t.region_code", "requested",
     "requested", "t.reason", "t.requested_by", "t.requested_at"),
    ("officer_reassignments t", "'reassignment'", "NULL", "NULL",
     "CASE WHEN cardinality(t.regions) = 1 AND t.regions[1] <> '*' THEN t.regions[1] END",
     "requested", "requested", "t.reason", "t.requested_by", "t.requested_at"),
)  # fmt: skip


def _backfill(
    rows: str,
    kind: str,
    loan: str,
    application: str,
    region: str,
    pending: str,
    asked: str,
    reason: str,
    asker: str,
    asked_at: str,
) -> str:
    """One feature's requests into `decisions`; a closed one without a recorded time
    (withdrawn, or decided before times were kept) takes its asking time."""
    return (
        "INSERT INTO decisions (id, kind, subject_id, loan_id, application_id, region_code,"
        " status, asked_state, summary, reason, requested_by, requested_at, decided_by,"
        " decided_at, note)"
        f" SELECT gen_random_uuid(), {kind}, t.id, {loan}, {application}, {region},"
        f" {_STATUS.format(col='t.status', pending=pending)}, '{asked}', '{{}}'::jsonb, {reason},"
        f" {asker}, {asked_at}, t.decided_by,"
        f" COALESCE(t.decided_at, CASE WHEN t.status = '{pending}' THEN NULL ELSE {asked_at} END),"
        f" t.decision_note FROM {rows}"
    )


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subject_id", UUID(as_uuid=True), nullable=False),
        sa.Column("loan_id", UUID(as_uuid=True)),
        sa.Column("application_id", UUID(as_uuid=True)),
        sa.Column("region_code", sa.String(12)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("asked_state", sa.String(40), nullable=False),
        sa.Column("summary", JSONB, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("kind", "subject_id", name="uq_decisions_one_per_subject"),
        sa.CheckConstraint(f"kind IN {_in(KINDS)}", name="kind_known"),
        sa.CheckConstraint(f"status IN {_in(STATUSES)}", name="status_known"),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name="decided_when_closed"
        ),
    )
    op.create_index("ix_decisions_loan", "decisions", ["loan_id"])
    op.create_index("ix_decisions_application", "decisions", ["application_id"])
    op.create_index(
        "ix_decisions_pending",
        "decisions",
        ["region_code", "requested_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    for source in _SOURCES:
        op.execute(_backfill(*source))
    for table, columns in (
        ("applications", ("decided_by", "decided_at", "decision_note")),
        ("chain_requests", ("requested_by", "decided_by", "decided_at", "decision_note")),
        ("write_offs", ("proposed_by", "proposed_at", "decided_by", "decided_at", "decision_note")),
        (
            "disbursement_actions",
            ("requested_by", "requested_at", "decided_by", "decided_at", "decision_note"),
        ),
        (
            "officer_reassignments",
            ("requested_by", "requested_at", "decided_by", "decided_at", "decision_note"),
        ),
    ):
        for name in columns:
            op.drop_column(table, name)
    for table, statuses in (
        ("write_offs", ("proposed", "approved", "declined", "withdrawn")),
        ("officer_reassignments", ("requested", "approved", "declined", "withdrawn")),
    ):
        op.drop_constraint("status_known", table, type_="check")
        op.create_check_constraint("status_known", table, f"status IN {_in(statuses)}")


def downgrade() -> None:
    for table, statuses in (
        ("write_offs", ("proposed", "approved", "declined")),
        ("officer_reassignments", ("requested", "approved", "declined")),
    ):
        op.execute(f"UPDATE {table} SET status = 'declined' WHERE status = 'withdrawn'")
        op.drop_constraint("status_known", table, type_="check")
        op.create_check_constraint("status_known", table, f"status IN {_in(statuses)}")
    text, stamp, name = sa.Text, sa.DateTime(timezone=True), sa.String(200)
    op.add_column("applications", sa.Column("decided_by", name))
    op.add_column("applications", sa.Column("decided_at", stamp))
    op.add_column("applications", sa.Column("decision_note", text))
    op.add_column("chain_requests", sa.Column("requested_by", name))
    op.add_column("chain_requests", sa.Column("decided_by", name))
    op.add_column("chain_requests", sa.Column("decided_at", stamp))
    op.add_column("chain_requests", sa.Column("decision_note", text))
    op.add_column("write_offs", sa.Column("proposed_by", name))
    op.add_column("write_offs", sa.Column("proposed_at", stamp, server_default=sa.func.now()))
    op.add_column("write_offs", sa.Column("decided_by", name))
    op.add_column("write_offs", sa.Column("decided_at", stamp))
    op.add_column("write_offs", sa.Column("decision_note", text))
    for table, note in (("disbursement_actions", sa.String(500)), ("officer_reassignments", text)):
        op.add_column(table, sa.Column("requested_by", name))
        op.add_column(table, sa.Column("requested_at", stamp, server_default=sa.func.now()))
        op.add_column(table, sa.Column("decided_by", name))
        op.add_column(table, sa.Column("decided_at", stamp))
        op.add_column(table, sa.Column("decision_note", note))
    moved = "decided_by = d.decided_by, decided_at = d.decided_at, decision_note = d.note"
    op.execute(
        f"UPDATE applications t SET {moved} FROM decisions d"
        " WHERE d.kind = 'application' AND d.subject_id = t.id AND d.status <> 'pending'"
    )
    op.execute(
        f"UPDATE chain_requests t SET requested_by = d.requested_by, {moved} FROM decisions d"
        " WHERE d.kind IN ('renewal', 'extension') AND d.subject_id = t.id"
    )
    op.execute(
        "UPDATE write_offs t SET proposed_by = d.requested_by, proposed_at = d.requested_at,"
        f" {moved} FROM decisions d WHERE d.kind = 'write_off' AND d.subject_id = t.id"
    )
    for table, kinds in (
        ("disbursement_actions", "('disbursement_cancel', 'disbursement_resend')"),
        ("officer_reassignments", "('reassignment')"),
    ):
        op.execute(
            f"UPDATE {table} t SET requested_by = d.requested_by, requested_at = d.requested_at,"
            f" {moved} FROM decisions d WHERE d.kind IN {kinds} AND d.subject_id = t.id"
        )
    for table, column in (
        ("chain_requests", "requested_by"),
        ("write_offs", "proposed_by"),
        ("write_offs", "proposed_at"),
        ("disbursement_actions", "requested_by"),
        ("disbursement_actions", "requested_at"),
        ("officer_reassignments", "requested_by"),
        ("officer_reassignments", "requested_at"),
    ):
        op.execute(f"UPDATE {table} SET {column} = DEFAULT WHERE {column} IS NULL")
        if column.endswith("_by"):
            op.execute(f"UPDATE {table} SET {column} = 'unknown' WHERE {column} IS NULL")
        op.alter_column(table, column, nullable=False)
    op.drop_table("decisions")
