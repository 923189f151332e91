"""Messages to borrowers (issue 30): each text as it was written, the gateway's receipts, the
households' wishes, and the passes of the scheduled work. All four only ever grow: a changed
wish is a new row, a receipt is a new row, and a message is never rewritten."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

# A text's outbox message is `sms-{its id}`: the worker sends it under that idempotency key.
OUTBOX_PREFIX = "sms-"


def outbox_key(message_id: uuid.UUID) -> str:
    return f"{OUTBOX_PREFIX}{message_id}"


class Message(Base):
    """One text to a household: its words, the phone it went to (masked), and its outbox
    message. `key` makes it at most once: (kind, loan or household, period)."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), nullable=False)
    loan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("loans.id"))
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    template: Mapped[str] = mapped_column(String(12), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    # as written: queued, or never sent (domain.messages.MessageStatus.not_sent)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        Index("ix_messages_region_created", "region_code", "created_at"),
        Index("ix_messages_loan", "loan_id"),
        Index("ix_messages_household", "household_id"),
    )


class MessageReceipt(Base):
    """A delivery receipt from the gateway; a duplicate of one already kept is not kept again."""

    __tablename__ = "message_receipts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    gateway_message_id: Mapped[str] = mapped_column(String(64), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(40))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (UniqueConstraint("message_id", "status"),)


class MessagePreference(Base):
    """A household's wish about texts, as set by its loan officer; the latest row holds."""

    __tablename__ = "message_preferences"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id"), nullable=False, index=True
    )
    opted_out: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    set_by: Mapped[str] = mapped_column(String(200), nullable=False)
    set_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class MessageRun(Base):
    """A county's daily (or yearly) pass of one kind, done: later ticks skip it unread."""

    __tablename__ = "message_runs"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False)
    done_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
