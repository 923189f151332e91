"""Reference data for legacy contracts: the loan prime rates (LPR) that capped their rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class LprRate(Base):
    """贷款市场报价利率 as published on a date, in force until the next publication. Seeded with the
    published history by migration 0008; admins add each new publication."""

    __tablename__ = "lpr_rates"

    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    one_year: Mapped[Decimal] = mapped_column(Numeric(8, 6), nullable=False)
    five_year: Mapped[Decimal] = mapped_column(Numeric(8, 6), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
