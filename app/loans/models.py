from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

RATE = Numeric(12, 10)
MONEY = Numeric(14, 2)

# A household has at most one of these at a time (clause 1.1), enforced by a partial unique index.
OUTSTANDING_STATUSES = ("contracted", "disbursing", "active")


class Loan(Base):
    """A signed assistance loan. Its policy version, rate and subsidy terms are fixed for life."""

    __tablename__ = "loans"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("applications.id"), unique=True
    )
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    borrower_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(20), nullable=False)
    principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    repayment_method: Mapped[str] = mapped_column(String(30), nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    large_production: Mapped[bool] = mapped_column(Boolean, nullable=False)
    central_subsidy_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    local_subsidy_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    subsidised_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    contracted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        Index(
            "uq_loans_one_outstanding_per_household",
            "household_id",
            unique=True,
            postgresql_where=text("status IN ('contracted', 'disbursing', 'active')"),
        ),
        Index(None, "region_code", "status"),
    )
