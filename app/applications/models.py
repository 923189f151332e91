from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of

RATE = Numeric(12, 10)
MONEY = Numeric(14, 2)


class Application(Decided, Base):
    """A loan application: submitted → approved / declined / withdrawn; approved → contracted."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("Application")
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    applicant_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    application_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    purpose_detail: Mapped[str] = mapped_column(Text, nullable=False)
    large_production: Mapped[bool] = mapped_column(Boolean, nullable=False)
    large_production_reason: Mapped[str | None] = mapped_column(Text)
    large_production_category: Mapped[str | None] = mapped_column(String(30))
    repayment_method: Mapped[str] = mapped_column(String(30), nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # The loan officer who looks after it: the submitter, until a reassignment (issue 17).
    officer: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    # The decision (maker-checker: never by the submitter).
    decline_reasons: Mapped[list[str] | None] = mapped_column(JSONB)
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    approved_method: Mapped[str | None] = mapped_column(String(30))
    annual_rate: Mapped[Decimal | None] = mapped_column(RATE)
    local_subsidy_rate: Mapped[Decimal | None] = mapped_column(RATE)
    # 1.4: the rate guidance the reviewer saw, and why the rate differs if outside its band
    suggested_rate: Mapped[Decimal | None] = mapped_column(RATE)
    rate_reason: Mapped[str | None] = mapped_column(Text)
    # 1.6: the reviewer's explicit confirmation of the large production need (100,000 cap).
    large_production_confirmed: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index(None, "region_code", "status"),
        Index(None, "submitted_at", "id"),
    )


class ApplicationEvaluation(Base):
    """Each eligibility evaluation, with the policy version it ran under."""

    __tablename__ = "application_evaluations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    evaluated_on: Mapped[date] = mapped_column(Date, nullable=False)
    policy_version: Mapped[str] = mapped_column(String(20), nullable=False)
    eligible: Mapped[bool] = mapped_column(Boolean, nullable=False)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Investigation(Base):
    """贷前调查 (clause 4.1): the visit a decision rests on, and due-diligence evidence."""

    __tablename__ = "investigations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    investigators: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    project_findings: Mapped[str] = mapped_column(Text, nullable=False)
    need_is_genuine: Mapped[bool] = mapped_column(Boolean, nullable=False)
    project_is_lawful: Mapped[bool] = mapped_column(Boolean, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


@dataclass(frozen=True, slots=True)
class NewApplication:
    """A submission's application as written (`service._SUBMITTED_COLUMNS`, and the time the
    database gave it), for its answer: an `Application` built only to be read once was a
    twentieth of a submission's CPU (an in-process A/B, docs/benchmarks.md). No decision yet."""

    id: uuid.UUID
    household_id: uuid.UUID
    applicant_member_id: uuid.UUID
    region_code: str
    status: str
    application_date: date
    amount: Decimal
    term_months: int
    purpose: str
    purpose_detail: str
    large_production: bool
    large_production_reason: str | None
    large_production_category: str | None
    repayment_method: str
    submitted_by: str
    officer: str
    submitted_at: datetime
