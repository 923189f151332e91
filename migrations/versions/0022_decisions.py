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


# feature status -> decision status
_STATUS = (
    "CASE {col} WHEN 'requested' THEN 'pending' WHEN 'proposed' THEN 'pending'"
    " WHEN 'submitted' THEN 'pending' WHEN 'declined' THEN 'declined'"
    " WHEN 'withdrawn' THEN 'withdrawn' ELSE 'approved' END"
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
    # a closed request without a recorded time (withdrawn, or decided before times were kept)
    # takes its asking time
    closed_at = "COALESCE({t}.decided_at, CASE WHEN {t}.status IN {open} THEN NULL ELSE {at} END)"
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, application_id, region_code, status,"
        " asked_state, summary, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'application', a.id, a.id, a.region_code, "
        + _STATUS.format(col="a.status")
        + ", 'submitted', '{}'::jsonb, a.submitted_by, a.submitted_at, a.decided_by, "
        + closed_at.format(t="a", open="('submitted')", at="a.submitted_at")
        + ", a.decision_note FROM applications a"
    )
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, loan_id, region_code, status, asked_state,"
        " summary, reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), c.kind, c.id, c.loan_id, c.region_code, "
        + _STATUS.format(col="c.status")
        + ", 'active', '{}'::jsonb, c.reason, c.requested_by, c.created_at, c.decided_by, "
        + closed_at.format(t="c", open="('requested')", at="c.created_at")
        + ", c.decision_note FROM chain_requests c"
    )
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, loan_id, region_code, status, asked_state,"
        " summary, reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'write_off', w.id, w.loan_id, w.region_code, "
        + _STATUS.format(col="w.status")
        + ", 'active', '{}'::jsonb, w.reason, w.proposed_by, w.proposed_at, w.decided_by, "
        + closed_at.format(t="w", open="('proposed')", at="w.proposed_at")
        + ", w.decision_note FROM write_offs w"
    )
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, loan_id, region_code, status, asked_state,"
        " summary, reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'disbursement_' || x.kind, x.id, d.loan_id, x.region_code, "
        + _STATUS.format(col="x.status")
        + ", 'requested', '{}'::jsonb, x.reason, x.requested_by, x.requested_at, x.decided_by, "
        + closed_at.format(t="x", open="('requested')", at="x.requested_at")
        + ", x.decision_note FROM disbursement_actions x JOIN disbursements d"
        " ON d.id = x.disbursement_id"
    )
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, region_code, status, asked_state, summary,"
        " reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'reassignment', r.id,"
        " CASE WHEN cardinality(r.regions) = 1 AND r.regions[1] <> '*' THEN r.regions[1] END, "
        + _STATUS.format(col="r.status")
        + ", 'requested', '{}'::jsonb, r.reason, r.requested_by, r.requested_at, r.decided_by, "
        + closed_at.format(t="r", open="('requested')", at="r.requested_at")
        + ", r.decision_note FROM officer_reassignments r"
    )
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
