from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Numeric, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

MONEY = Numeric(14, 2)


class Repayment(Base):
    """A repayment posted by core banking; its transaction id makes a repeat a no-op."""

    __tablename__ = "repayments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    core_transaction_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    overdue_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    overdue_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    interest_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    principal_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    prepaid_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    prepayment_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    posted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Accrual(Base):
    """Interest recognised per loan per business date: the daily batch's rows ('daily'), the
    true-up when a loan is paid off between two batches ('payoff'), and the reversal of subsidy
    accrued after a confirmed misuse ('reversal'). Penalty is never subsidised. Rows are never
    edited: a correction is a new row."""

    __tablename__ = "accruals"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True, default="daily")
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    central_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    borrower_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    __table_args__ = (
        Index(None, "region_code", "business_date"),
        # Pay-off true-ups and reversals are few; claims list them as adjustments.
        Index(
            "ix_accruals_adjustments",
            "region_code",
            "business_date",
            postgresql_where=text("kind <> 'daily'"),
        ),
    )


class RiskClassChange(Base):
    __tablename__ = "risk_class_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    from_class: Mapped[str] = mapped_column(String(20), nullable=False)
    to_class: Mapped[str] = mapped_column(String(20), nullable=False)
    days_past_due: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
