"""A console session (issue 26): kept by the service, so that signing out, an administrator's
revocation, the idle timeout and the token's expiry each end it. The browser holds only a
random secret; the row holds its hash, the bank's token sealed, and the token's subject, roles
and regions, which the token must still carry at every request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, DateTime, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

END_REASONS = ("signed_out", "revoked", "idle", "expired", "token_changed")


class ConsoleSession(Base):
    __tablename__ = "console_sessions"
    __table_args__ = (
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('signed_out', 'revoked', 'idle', 'expired', 'token_changed')",
            name="end_reason_known",
        ),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        Index("ix_console_sessions_subject", "subject"),
        Index(
            "ix_console_sessions_open", "last_seen_at", postgresql_where=text("ended_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    token_sealed: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)), nullable=False)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(12)), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ended_by: Mapped[str | None] = mapped_column(String(200))
