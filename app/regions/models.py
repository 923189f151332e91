from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of


class Region(Base):
    """A county (GB/T 2260 code) and whether new assistance lending is open there (4.3)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    lending_status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # 1.6 (逾期期间不予贴息): whether a day on which a loan has an instalment overdue is still
    # subsidised; by default it is not.
    subsidise_overdue_days: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # Messages to borrowers (issue 30): the days before a due date a reminder is sent.
    reminder_days: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), nullable=False, server_default=text("'{3}'")
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class RegionStatusChange(Base):
    __tablename__ = "region_status_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class RegionDailyStat(Base):
    """Per-region figures at the end of each business date, written by the daily batch."""

    __tablename__ = "region_daily_stats"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    active_loans: Mapped[int] = mapped_column(Integer, nullable=False)
    overdue_loans: Mapped[int] = mapped_column(Integer, nullable=False)
    npl_loans: Mapped[int] = mapped_column(Integer, nullable=False)
    balance: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    overdue_balance: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    npl_balance: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    interest_accrued: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    central_subsidy_accrued: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    local_subsidy_accrued: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    penalty_accrued: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    # Balance and count per risk class (五级分类), for portfolio-quality reports.
    normal_balance: Mapped[Decimal] = mapped_column(
        Numeric(16, 2), nullable=False, server_default="0"
    )
    special_mention_balance: Mapped[Decimal] = mapped_column(
        Numeric(16, 2), nullable=False, server_default="0"
    )
    substandard_balance: Mapped[Decimal] = mapped_column(
        Numeric(16, 2), nullable=False, server_default="0"
    )
    doubtful_balance: Mapped[Decimal] = mapped_column(
        Numeric(16, 2), nullable=False, server_default="0"
    )
    loss_balance: Mapped[Decimal] = mapped_column(
        Numeric(16, 2), nullable=False, server_default="0"
    )
    normal_loans: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    special_mention_loans: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    substandard_loans: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    doubtful_loans: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    loss_loans: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class SubsidyProgramme(Decided, Base):
    """A region's local subsidy programme (1.6): contracts in its regions take the programme in
    force on their date. Recorded on the day it takes effect and in force once a second risk
    manager approves it. Never edited: a change is a new programme (a later one, or a more
    specific prefix, governs)."""

    __tablename__ = "subsidy_programmes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'in_force', 'declined', 'withdrawn')", name="status_known"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("SubsidyProgramme")
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    region_prefix: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    basis: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(12, 10), nullable=False)
    principal_cap: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
