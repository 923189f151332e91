"""Due-diligence exemption (issue 17, 尽职免责): the bank's catalogue of exemption situations
and aggravating findings (seeded with the usual ones, as they stood at this revision), and the
cases: evidence gathered when opened, reviewed, decided by an independent committee member,
appealed once, final.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED = [
    ("followed_procedures", "situation", "按照规定程序调查、审批、发放和管理，决策符合当时制度",
     "Investigated, approved, paid out and managed following the approved procedures"),
    ("natural_disaster", "situation", "因自然灾害等不可抗力造成损失",
     "Loss caused by a natural disaster or other force majeure"),
    ("epidemic", "situation", "因重大疫情造成损失", "Loss caused by a major epidemic"),
    ("policy_change", "situation", "因国家政策调整造成损失", "Loss caused by a change of state policy"),
    ("undetectable_fraud", "situation", "借款人欺诈，尽职调查难以发现",
     "Borrower fraud that due care could not have detected"),
    ("reported_in_time", "situation", "风险发生后及时报告并积极采取措施",
     "The problem was reported in time and acted on"),
    ("procedures_skipped", "aggravating", "未按规定程序调查、审批或管理", "Procedures were skipped"),
    ("evidence_missing", "aggravating", "调查或管理资料缺失",
     "Evidence of the investigation or management is missing"),
    ("conflict_of_interest", "aggravating", "存在利益冲突或违规干预",
     "A conflict of interest or improper interference"),
]  # fmt: skip


def upgrade() -> None:
    catalogue = op.create_table(
        "exemption_catalogue",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("kind IN ('situation', 'aggravating')", name="kind_known"),
    )
    op.bulk_insert(
        catalogue,
        [
            {"code": c, "kind": k, "title_zh": zh, "title_en": en, "added_by": "seed"}
            for c, k, zh, en in SEED
        ],
    )
    op.create_table(
        "exemption_cases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("loan_id", sa.Uuid(), sa.ForeignKey("loans.id"), nullable=False, index=True),
        sa.Column("region_code", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("claimed_situations", postgresql.ARRAY(sa.String(40)), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("involved", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("review_notes", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("situations", postgresql.ARRAY(sa.String(40)), nullable=True),
        sa.Column("aggravating", postgresql.ARRAY(sa.String(40)), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_by", sa.String(200), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_outcome", sa.String(20), nullable=True),
        sa.Column("final_reasons", sa.Text(), nullable=True),
        sa.Column("finalised_by", sa.String(200), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('opened', 'evidence_reviewed', 'decided', 'appealed', 'final')",
            name="status_known",
        ),
    )
    op.create_index(
        "uq_exemption_cases_one_open_per_loan",
        "exemption_cases",
        ["loan_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'final'"),
    )


def downgrade() -> None:
    op.drop_table("exemption_cases")
    op.drop_table("exemption_catalogue")
