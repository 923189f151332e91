from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class DisbursementAction(Base):
    """A re-send or cancellation of an unanswered disbursement: a loan officer asks, a second
    person (never the same) approves or declines. One pending at a time per disbursement."""

    __tablename__ = "disbursement_actions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    disbursement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disbursements.id"), nullable=False, index=True
    )
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index(
            "uq_disbursement_actions_one_pending",
            "disbursement_id",
            unique=True,
            postgresql_where=text("status = 'requested'"),
        ),
    )
