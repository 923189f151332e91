"""The decisions table: one row per four-eyes request, whatever its feature, with one set of
decision columns (who asked, in what state, who decided, when, why) and one status enum."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, String, Text, UniqueConstraint, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base
from app.domain.decisions import DecisionKind, DecisionStatus
from app.domain.loan_status import sql_list


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", name="uq_decisions_one_per_subject"),
        CheckConstraint(f"kind IN {sql_list(tuple(DecisionKind))}", name="kind_known"),
        CheckConstraint(f"status IN {sql_list(tuple(DecisionStatus))}", name="status_known"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_when_closed"),
        Index("ix_decisions_loan", "loan_id"),
        Index("ix_decisions_application", "application_id"),
        # the inbox: what waits, oldest first, by region
        Index(
            "ix_decisions_pending",
            "region_code",
            "requested_at",
            postgresql_where=sql_text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    # the feature's row the request is about (write-off, chain request, action …)
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # the loan and application it concerns, for independence and the inbox
    loan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    application_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    region_code: Mapped[str | None] = mapped_column(String(12))  # NULL: national
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    # the subject's state when asked: a decision is refused once it has left it
    asked_state: Mapped[str] = mapped_column(String(40), nullable=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


def decision_of(model: str, kind: DecisionKind | None = None) -> Any:
    """The relationship from a feature row (`model`, its class name) to its decision (of `kind`,
    for a row that is the subject of two): read only, loaded with the row (`selectin`: a joined
    load would break SELECT … FOR UPDATE)."""
    join = f"foreign(Decision.subject_id) == {model}.id"
    if kind is not None:
        join = f"and_({join}, Decision.kind == '{kind.value}')"
    return relationship(
        Decision,
        primaryjoin=join,
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )


class Decided:
    """A feature row that is the subject of one decision: its who-asked and who-decided are
    read from the decision (never stored on the row). The row declares
    `decision: Mapped[Decision | None] = decision_of("<its class>")`."""

    decision: Decision | None

    @property
    def requested_by(self) -> str | None:
        return self.decision.requested_by if self.decision is not None else None

    @property
    def requested_at(self) -> datetime | None:
        return self.decision.requested_at if self.decision is not None else None

    @property
    def decided_by(self) -> str | None:
        return self.decision.decided_by if self.decision is not None else None

    @property
    def decided_at(self) -> datetime | None:
        return self.decision.decided_at if self.decision is not None else None

    @property
    def decision_note(self) -> str | None:
        return self.decision.note if self.decision is not None else None
