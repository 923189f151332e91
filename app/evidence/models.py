from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Attachment(Base):
    """A photo or scan kept as evidence of a record (issue 30; 2.1 尽职免责, 4.1, 4.2): the file
    itself lies in the object store under its SHA-256. Never changed or deleted (a trigger
    refuses it, migration 0034): a correction is a new attachment naming the one it corrects."""

    __tablename__ = "attachments"
    __table_args__ = (
        # the same file on the same record is the same evidence: sent again, it is found
        Index("uq_attachments_subject_file", "subject_type", "subject_id", "sha256", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_type: Mapped[str] = mapped_column(String(30), nullable=False)
    subject_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    file_name: Mapped[str] = mapped_column(String(200), nullable=False)
    media_type: Mapped[str] = mapped_column(String(60), nullable=False)
    bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    store: Mapped[str] = mapped_column(String(10), nullable=False)  # where it was written
    note: Mapped[str | None] = mapped_column(Text)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("attachments.id"))
    uploaded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
