from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.domain.exemption import CaseStatus, EntryKind, Outcome

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class CatalogueEntryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "natural_disaster_2026",
                    "kind": "situation",
                    "title_zh": "因重大自然灾害导致借款人无力还款",
                    "title_en": "A major natural disaster left the borrower unable to repay",
                }
            ]
        },
    )

    code: Code
    kind: EntryKind
    title_zh: str = Field(min_length=2, max_length=300)
    title_en: str = Field(min_length=2, max_length=300)


class CatalogueEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: EntryKind
    title_zh: str
    title_en: str
    active: bool


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claimed_situations: list[Code] = Field(
        default_factory=list, max_length=20, description="catalogue codes the staff rely on"
    )
    statement: str = Field(min_length=2, max_length=4000, examples=["该户因洪灾致养殖场损毁"])


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"notes": "已核对贷前调查、审批、贷后走访和催收记录"}]},
    )

    notes: str = Field(min_length=2, max_length=4000)


class ExemptionDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "exempt",
                    "situations": ["S-DISASTER-2026"],
                    "aggravating": [],
                    "reasons": "贷前调查和审批符合规定，损失系自然灾害所致",
                }
            ]
        },
    )

    outcome: Outcome
    situations: list[Code] = Field(default_factory=list, max_length=20)
    aggravating: list[Code] = Field(default_factory=list, max_length=20)
    reasons: str = Field(min_length=2, max_length=4000)


class AppealIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "已按规定完成三次贷后走访，认定依据不足"}]},
    )

    reason: str = Field(min_length=2, max_length=4000)


class ExemptionCaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    region_code: str
    status: CaseStatus
    opened_by: str
    opened_at: datetime
    claimed_situations: list[str]
    statement: str
    involved: list[str] = Field(description="everyone who had a part in the loan")
    evidence: dict[str, Any] = Field(description="gathered when the case opened")
    review_notes: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    outcome: Outcome | None
    situations: list[str] | None
    aggravating: list[str] | None
    reasons: str | None
    decided_by: str | None
    decided_at: datetime | None
    appeal_reason: str | None
    appealed_by: str | None
    appealed_at: datetime | None
    final_outcome: Outcome | None
    final_reasons: str | None
    finalised_by: str | None
    finalised_at: datetime | None


class ReportRow(BaseModel):
    region_code: str
    status: CaseStatus
    outcome: Outcome | None = Field(description="the final outcome if appealed, else the first")
    cases: int


class ReportOut(BaseModel):
    rows: list[ReportRow]
