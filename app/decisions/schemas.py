from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.decisions import DecisionKind, DecisionStatus


class DecisionRecordOut(BaseModel):
    """One four-eyes request and its decision."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: DecisionKind
    subject_id: uuid.UUID = Field(description="the feature's record the request is about")
    loan_id: uuid.UUID | None
    application_id: uuid.UUID | None
    region_code: str | None = Field(description="null: national reference data")
    status: DecisionStatus
    asked_state: str = Field(description="the subject's state when asked")
    summary: dict[str, Any]
    reason: str | None
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class InboxItemOut(DecisionRecordOut):
    may_decide: bool = Field(
        description="whether you could decide it now (your role, and no part in it or its loans)"
    )


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    next_cursor: uuid.UUID | None


class DecisionOutcomeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "approve", "note": "同意"}]},
    )

    outcome: Literal["approve", "decline"]
    note: str | None = Field(default=None, max_length=1000)
    acknowledged: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list,
        max_length=20,
        description="codes of the warning-level rules the request shows (e.g. "
        "`diversion_wording`, 1.8), read and acknowledged by the approver",
    )
