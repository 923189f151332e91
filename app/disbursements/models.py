from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of


class DisbursementAction(Decided, Base):
    """A re-send or cancellation of an unanswered disbursement: a loan officer asks, a second
    person decides through the one decision mechanism. One pending at a time per disbursement."""

    __tablename__ = "disbursement_actions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("DisbursementAction")
    disbursement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disbursements.id"), nullable=False, index=True
    )
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)

    __table_args__ = (
        Index(
            "uq_disbursement_actions_one_pending",
            "disbursement_id",
            unique=True,
            postgresql_where=text("status = 'requested'"),
        ),
    )
