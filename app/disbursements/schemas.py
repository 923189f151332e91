"""Disbursement requests, core banking's answers, and re-sending or cancelling an unanswered
one (maker-checker)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.types import Day


class ConfirmationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "succeeded",
                    "core_transaction_id": "CBS20261126000123",
                    "value_date": "2026-11-26",
                }
            ]
        },
    )

    status: Literal["succeeded", "failed"]
    core_transaction_id: str | None = Field(default=None, min_length=1, max_length=100)
    value_date: Day | None = None
    failure_reason: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _fields_for_status(self) -> ConfirmationIn:
        if self.status == "succeeded" and (
            self.core_transaction_id is None or self.value_date is None
        ):
            raise ValueError("a success needs core_transaction_id and value_date")
        if self.status == "failed" and self.failure_reason is None:
            raise ValueError("a failure needs failure_reason")
        return self


class ActionKind(StrEnum):
    resend = "resend"  # deliver the same instruction again (core banking dedups by its key)
    cancel = "cancel"  # withdraw it: the loan returns to contracted


class ActionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "cancel", "reason": "账户已冻结，核心系统未入账"}]
        },
    )

    kind: ActionKind
    reason: str = Field(min_length=1, max_length=500)


class ActionDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"outcome": "approve", "note": "已核实"}]}
    )

    outcome: Literal["approve", "decline"]
    note: str | None = Field(default=None, max_length=500)


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    disbursement_id: uuid.UUID
    kind: ActionKind
    status: Literal["requested", "approved", "declined"]
    reason: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
