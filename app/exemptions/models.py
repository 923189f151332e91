from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of
from app.domain.decisions import DecisionKind


class CatalogueEntry(Base):
    """An exemption situation or an aggravating finding the bank recognises."""

    __tablename__ = "exemption_catalogue"
    __table_args__ = (CheckConstraint("kind IN ('situation', 'aggravating')", name="kind_known"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    title_zh: Mapped[str] = mapped_column(Text, nullable=False)
    title_en: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())
    added_by: Mapped[str] = mapped_column(String(200), nullable=False)
    added_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class ExemptionCase(Decided, Base):
    """A 尽职免责 case (2.1): opened with its evidence, reviewed, decided by the committee and
    perhaps appealed once. The decision and the appeal's are the one mechanism's requests
    (kinds `exemption` and `exemption_appeal`)."""

    __tablename__ = "exemption_cases"
    __table_args__ = (
        CheckConstraint(
            "status IN ('opened', 'evidence_reviewed', 'decided', 'appealed', 'final')",
            name="status_known",
        ),
        Index(
            "uq_exemption_cases_one_open_per_loan",
            "loan_id",
            unique=True,
            postgresql_where=text("status <> 'final'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("ExemptionCase", DecisionKind.exemption)
    appeal: Mapped[Decision | None] = decision_of("ExemptionCase", DecisionKind.exemption_appeal)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    opened_by: Mapped[str] = mapped_column(String(200), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    claimed_situations: Mapped[list[str]] = mapped_column(ARRAY(String(40)), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    # everyone who had a part in the loan: none of them decides
    involved: Mapped[list[str]] = mapped_column(ARRAY(String(200)), nullable=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    review_notes: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    situations: Mapped[list[str] | None] = mapped_column(ARRAY(String(40)))
    aggravating: Mapped[list[str] | None] = mapped_column(ARRAY(String(40)))
    reasons: Mapped[str | None] = mapped_column(Text)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    final_outcome: Mapped[str | None] = mapped_column(String(20))
    final_reasons: Mapped[str | None] = mapped_column(Text)

    # the appeal: asked by one of the staff concerned, decided by the committee
    @property
    def appealed_by(self) -> str | None:
        return self.appeal.requested_by if self.appeal is not None else None

    @property
    def appealed_at(self) -> datetime | None:
        return self.appeal.requested_at if self.appeal is not None else None

    @property
    def finalised_by(self) -> str | None:
        return self.appeal.decided_by if self.appeal is not None else None

    @property
    def finalised_at(self) -> datetime | None:
        return self.appeal.decided_at if self.appeal is not None else None
