"""An exemption case's decision and its appeal's are requests in `decisions` (kinds `exemption`
and `exemption_appeal`, issue 25): the case's decided-by, appealed-by and finalised-by columns
move there.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOVED = ("decided_by", "decided_at", "appealed_by", "appealed_at", "finalised_by", "finalised_at")


def upgrade() -> None:
    # the committee's decision, asked when the case opened; a closed one without its time
    # takes the opening time
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, loan_id, region_code, status, asked_state,"
        " summary, reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'exemption', c.id, c.loan_id, c.region_code,"
        " CASE WHEN c.decided_by IS NULL THEN 'pending' ELSE 'approved' END, 'under_review',"
        " '{}'::jsonb, c.statement, c.opened_by, c.opened_at, c.decided_by,"
        " CASE WHEN c.decided_by IS NULL THEN NULL ELSE COALESCE(c.decided_at, c.opened_at) END,"
        " c.reasons FROM exemption_cases c"
    )
    op.execute(
        "INSERT INTO decisions (id, kind, subject_id, loan_id, region_code, status, asked_state,"
        " summary, reason, requested_by, requested_at, decided_by, decided_at, note)"
        " SELECT gen_random_uuid(), 'exemption_appeal', c.id, c.loan_id, c.region_code,"
        " CASE WHEN c.finalised_by IS NULL THEN 'pending' ELSE 'approved' END, 'appealed',"
        " '{}'::jsonb, c.appeal_reason, c.appealed_by, COALESCE(c.appealed_at, c.opened_at),"
        " c.finalised_by, CASE WHEN c.finalised_by IS NULL THEN NULL"
        " ELSE COALESCE(c.finalised_at, c.opened_at) END,"
        " c.final_reasons FROM exemption_cases c WHERE c.appealed_by IS NOT NULL"
    )
    for column in _MOVED:
        op.drop_column("exemption_cases", column)


def downgrade() -> None:
    for column in _MOVED:
        kind = sa.DateTime(timezone=True) if column.endswith("_at") else sa.String(200)
        op.add_column("exemption_cases", sa.Column(column, kind))
    op.execute(
        "UPDATE exemption_cases c SET decided_by = d.decided_by, decided_at = d.decided_at"
        " FROM decisions d WHERE d.kind = 'exemption' AND d.subject_id = c.id"
    )
    op.execute(
        "UPDATE exemption_cases c SET appealed_by = d.requested_by, appealed_at = d.requested_at,"
        " finalised_by = d.decided_by, finalised_at = d.decided_at"
        " FROM decisions d WHERE d.kind = 'exemption_appeal' AND d.subject_id = c.id"
    )
    op.execute("DELETE FROM decisions WHERE kind IN ('exemption', 'exemption_appeal')")
