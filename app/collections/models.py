from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.decisions.models import Decided, Decision, decision_of
from app.loans.models import MONEY


class CollectionCase(Base):
    """One overdue spell of a loan: opened by the batch on the first day past due, escalated
    through the buckets, closed by the batch (app/batch/eod.py owns these writes). Its days past
    due are the loan's: a case row changes only when its bucket does, and the batch reads only
    the cases due for a look (`review_on`)."""

    __tablename__ = "collection_cases"
    __table_args__ = (
        Index(
            "ix_collection_cases_open_loan",
            "loan_id",
            unique=True,
            postgresql_where=text("closed_on IS NULL"),
        ),
        # the batch reads only the open cases due for a look (migration 0030)
        Index(
            "ix_collection_cases_open_review",
            "region_code",
            "review_on",
            postgresql_where=text("closed_on IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    bucket: Mapped[str] = mapped_column(String(12), nullable=False)
    escalated_on: Mapped[date] = mapped_column(Date, nullable=False)
    # When the batch next looks at the open case: the day its bucket moves if nothing happens
    # (domain.collections.next_review); a change to its loan's overdue date or status marks it
    # for the next close (a trigger on loans, migration 0030).
    review_on: Mapped[date | None] = mapped_column(Date)


class CollectionAction(Base):
    __tablename__ = "collection_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    participants: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    findings: Mapped[list[str]] = mapped_column(ARRAY(String(20)), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_action_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class PromiseToPay(Base):
    """A borrower's promise (date, amount), judged by the batch at the end of its date."""

    __tablename__ = "promises_to_pay"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("promised_on >= made_on", name="not_in_the_past"),
        CheckConstraint("status IN ('open', 'kept', 'broken')", name="status_known"),
        Index(
            "ix_promises_to_pay_open",
            "region_code",
            "promised_on",
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_cases.id"), index=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"))
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    made_on: Mapped[date] = mapped_column(Date, nullable=False)
    promised_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    paid: Mapped[Decimal | None] = mapped_column(MONEY)
    judged_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)


class WriteOff(Decided, Base):
    """A proposal to write a loan off (2.1 核销), decided by a second person through the one
    decision mechanism; on approval the amounts written off are fixed here and the loan
    becomes `written_off`."""

    __tablename__ = "write_offs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'approved', 'declined', 'withdrawn')", name="status_known"
        ),
        Index(
            "uq_write_offs_one_live_per_loan",
            "loan_id",
            unique=True,
            postgresql_where=text("status IN ('proposed', 'approved')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("WriteOff")
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    grounds: Mapped[str] = mapped_column(String(30), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    written_off_on: Mapped[date | None] = mapped_column(Date)
    principal: Mapped[Decimal | None] = mapped_column(MONEY)
    interest: Mapped[Decimal | None] = mapped_column(MONEY)
    penalty: Mapped[Decimal | None] = mapped_column(MONEY)

    @property
    def proposed_by(self) -> str | None:
        """The proposer: who asked for the decision (the API's word for it)."""
        return self.requested_by

    @property
    def claim(self) -> Decimal | None:
        """What the borrower still owes in all (账销案存), once approved."""
        if self.principal is None or self.interest is None or self.penalty is None:
            return None
        return self.principal + self.interest + self.penalty
