from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Region(Base):
    """A county (GB/T 2260 code) and whether new assistance lending is open there (4.3)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    lending_status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
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
