from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base


class Household(Base):
    """户: the borrowing unit (户借、户用、户还)."""

    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    # The roster household (1.1: 户借户用户还): one bank household per roster household.
    household_number: Mapped[str | None] = mapped_column(String(40))
    account_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    account_masked: Mapped[str] = mapped_column(String(40), nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    members: Mapped[list[Member]] = relationship(
        back_populates="household", order_by="Member.created_at", lazy="selectin"
    )

    __table_args__ = (
        # a claim form's line reads a household's county from this index alone (0037)
        Index("ix_households_id_region", "id", postgresql_include=["region_code"]),
        Index(
            "uq_households_roster_household",
            "household_number",
            unique=True,
            postgresql_where=text("household_number IS NOT NULL"),
        ),
    )


class Member(Base):
    __tablename__ = "members"
    # found by a name's beginning (GET /v1/households?name=)
    __table_args__ = (
        Index("ix_members_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
        # a claim form's line reads its borrower from this index alone (0037)
        Index("ix_members_id_shown", "id", postgresql_include=["name", "id_masked"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    relation: Mapped[str] = mapped_column(String(20), nullable=False)
    # ID number and phone: AES-GCM ciphertext, an HMAC blind index, and a masked form.
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    id_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    id_masked: Mapped[str] = mapped_column(String(18), nullable=False)
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    # None: unknown (legacy imports do not carry them); eligibility then asks for them.
    full_civil_capacity: Mapped[bool | None] = mapped_column(Boolean)
    has_labor_skills: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    household: Mapped[Household] = relationship(back_populates="members")


class CreditRating(Base):
    """评级授信 result; kept forever, never overwritten (a new rating is a new row)."""

    __tablename__ = "credit_ratings"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    scorecard_version: Mapped[str] = mapped_column(String(40), nullable=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    grade: Mapped[str] = mapped_column(String(8), nullable=False)
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    major_bad_credit_record: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
