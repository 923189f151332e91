"""Repayments posted by core banking and their reversals (冲正)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import Day, MoneyOut, PositiveMoney


class RepaymentKind(StrEnum):
    posting = "posting"
    reversal = "reversal"


class RepaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "core_transaction_id": "CBS20261226000456",
                    "amount": "4267.10",
                    "value_date": "2026-12-26",
                }
            ]
        },
    )

    core_transaction_id: str = Field(min_length=1, max_length=100)
    amount: PositiveMoney
    value_date: Day


class RepaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    core_transaction_id: str
    value_date: date
    amount: MoneyOut
    penalty: MoneyOut
    overdue_interest: MoneyOut
    overdue_principal: MoneyOut
    interest_due: MoneyOut
    principal_due: MoneyOut
    prepaid_principal: MoneyOut
    prepayment_interest: MoneyOut
    kind: RepaymentKind = Field(
        description="posting: core banking's repayment; reversal (冲正): its undoing, with the"
        " posting's amounts negated"
    )
    reverses_id: uuid.UUID | None = Field(description="the posting a reversal undoes")
    reason: str | None
    posted_by: str
    created_at: datetime


class ReversalIn(BaseModel):
    """Core banking reverses a posted repayment (冲正) under a transaction id of its own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reversal_transaction_id": "CBS20261227000019",
                    "reason": "posted to the wrong account",
                }
            ]
        },
    )

    reversal_transaction_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500)


class RepaymentHistoryItem(RepaymentOut):
    reversed_by_id: uuid.UUID | None = None


class RepaymentHistoryOut(BaseModel):
    """A loan's postings and reversals, oldest first; `reversed_by_id` marks a posting that
    was reversed."""

    loan_id: uuid.UUID
    items: list[RepaymentHistoryItem]
    total_posted: MoneyOut = Field(description="postings less reversals")


class ReversalCaseOut(BaseModel):
    """A reversal core banking made that the service could not apply, kept for a person."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    region_code: str
    repayment_id: uuid.UUID = Field(description="the posting core banking reversed")
    core_transaction_id: str = Field(description="core banking's id of the reversal")
    amount: MoneyOut
    reason: str
    conflict: str = Field(description="why it could not be applied")
    received_by: str
    received_at: datetime
    settled_by: str | None
    settled_at: datetime | None
    settlement: str | None


class SettlementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"settlement": "已与借款人约定另行归还，款项已入账"}]},
    )

    settlement: str = Field(min_length=1, max_length=2000, description="what was done")
