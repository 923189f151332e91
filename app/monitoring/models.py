from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class MonitoringVisit(Base):
    """贷后检查: a visit to check that the funds are used as declared (clause 4.2)."""

    __tablename__ = "monitoring_visits"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    finding: Mapped[str] = mapped_column(String(40), nullable=False)
    misused_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    corrects_misuse: Mapped[bool] = mapped_column(nullable=False, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
