from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of


class ChainRequest(Decided, Base):
    """An officer's request to renew (续贷) or extend (展期) a loan; the reviewer decides it
    through the one decision mechanism."""

    __tablename__ = "chain_requests"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("ChainRequest")
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # renewal / extension
    # requested / approved / declined / withdrawn
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)  # extension or new term
    repayment_method: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    requested_on: Mapped[date] = mapped_column(Date, nullable=False)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    annual_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 10))
    local_subsidy_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 10))
    restructuring: Mapped[bool] = mapped_column(nullable=False, default=False)
    new_loan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        Index(
            "uq_chain_requests_one_open_per_loan",
            "loan_id",
            unique=True,
            postgresql_where=sql_text("status = 'requested'"),
        ),
        # the reviewer's queue (migration 0021)
        Index(
            "ix_chain_requests_pending",
            "region_code",
            "requested_on",
            postgresql_where=sql_text("status = 'requested'"),
        ),
    )
