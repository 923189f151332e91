"""A reversal core banking sent that the service could not apply: kept, never lost, for a
person to settle (issue 25)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.loans.models import MONEY


class ReversalCase(Base):
    """A reversal of a pay-off whose loan cannot reopen: the household has borrowed again (one
    outstanding loan per household, 1.1). Core banking's reversal happened; the case says so
    until a person settles it (for instance by collecting from the household directly)."""

    __tablename__ = "reversal_cases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    repayment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repayments.id"), nullable=False)
    # core banking's id of the reversal: the same reversal again answers with this case
    core_transaction_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    conflict: Mapped[str] = mapped_column(Text, nullable=False)
    received_by: Mapped[str] = mapped_column(String(200), nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    settled_by: Mapped[str | None] = mapped_column(String(200))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settlement: Mapped[str | None] = mapped_column(Text)
