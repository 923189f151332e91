"""Reference data for legacy contracts: the loan prime rates (LPR) that capped their rates."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, Index, Numeric, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of


class LprRate(Decided, Base):
    """贷款市场报价利率 as published on a date, in force until the next publication. Seeded with the
    published history by migration 0008; an admin records each new publication on its day and it
    is in force once a second admin approves it (the one decision mechanism)."""

    __tablename__ = "lpr_rates"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'in_force', 'declined', 'withdrawn')", name="status_known"
        ),
        Index(
            "uq_lpr_rates_one_per_day",
            "effective_from",
            unique=True,
            postgresql_where=text("status IN ('pending', 'in_force')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("LprRate")
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    one_year: Mapped[Decimal] = mapped_column(Numeric(8, 6), nullable=False)
    five_year: Mapped[Decimal] = mapped_column(Numeric(8, 6), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
