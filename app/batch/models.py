from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class RegionBusinessDate(Base):
    """Each region's open business date: repayments are posted on it, and the end-of-day batch
    closes it and opens the next. Regions are the batch's unit of work and of locking."""

    __tablename__ = "region_business_dates"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    open_date: Mapped[date] = mapped_column(Date, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
