from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

MONEY = Numeric(16, 2)


class LoanMonthTotal(Base):
    """Each loan's cumulative accruals and state at a month's end, written by the daily batch
    on the month's last day. Differences of consecutive months are the month's accruals, so a
    claim over a million loans never sums the daily rows."""

    __tablename__ = "loan_month_totals"
    # a county's rows of a month: the finance form and the claim read them (migration 0032)
    __table_args__ = (Index(None, "region_code", "month_end"),)

    month_end: Mapped[date] = mapped_column(Date, primary_key=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    central_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    principal_outstanding: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    risk_class: Mapped[str] = mapped_column(String(20), nullable=False)


class SubsidyClaim(Base):
    """A county's claim for a period: draft until submitted (then frozen), then paid."""

    __tablename__ = "subsidy_claims"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    loans: Mapped[int] = mapped_column(Integer, nullable=False)
    central_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    central_adjustment: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_adjustment: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    paid_central: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_local: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("region_code", "period"),)


class SubsidyClaimLine(Base):
    __tablename__ = "subsidy_claim_lines"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subsidy_claims.id"), primary_key=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    borrower: Mapped[str] = mapped_column(String(140), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(20), nullable=False)
    central_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    central_adjustment: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_adjustment: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


class MonitoringReport(Base):
    """A county's monthly monitoring report (issue 30; 5.3): its figures at `month_end`, as
    revision `revision`. Only ever added (migration 0035): a correction is the next revision."""

    __tablename__ = "monitoring_reports"
    __table_args__ = (UniqueConstraint("month_end", "region_code", "revision"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    month_end: Mapped[date] = mapped_column(Date, nullable=False)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    produced_by: Mapped[str] = mapped_column(String(200), nullable=False)
    produced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
