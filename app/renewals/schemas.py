from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.core.types import Int, MoneyOut, Rate, RateOut
from app.domain.policy import RepaymentMethod
from app.policy.schemas import RuleOut


class RenewalRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "term_months": 12,
                    "repayment_method": "interest_then_principal",
                    "reason": "继续扩大养殖规模",
                }
            ]
        },
    )

    term_months: Int = Field(ge=1, le=36, description="term of the new loan")
    repayment_method: RepaymentMethod
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"months": 6, "reason": "受灾导致销售回款延迟"}]},
    )

    months: Int = Field(ge=1, le=36, description="how much longer")
    reason: str = Field(min_length=1, max_length=2000)


class ChainDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "approve", "annual_rate": "0.0345", "note": "经营正常，同意"}]
        },
    )

    outcome: Literal["approve", "decline"]
    annual_rate: Rate | None = Field(default=None, description="the new loan's rate (renewal)")
    local_subsidy_rate: Rate | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},
        description="Deprecated: the local subsidy comes from the region's programme in force"
        " (1.6). If sent, it must equal the programme's rate, else 409.",
    )
    note: str | None = Field(default=None, max_length=2000)
    acknowledged: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list,
        max_length=20,
        description="codes of the warning-level rules shown (e.g. `diversion_wording`, 1.8: "
        "the request's reason or the loan's visit notes), read by the reviewer",
    )


class RenewalDecisionIn(ChainDecisionIn):
    @model_validator(mode="after")
    def _rate_on_approval(self) -> RenewalDecisionIn:
        if self.outcome == "approve" and self.annual_rate is None:
            raise ValueError("approving a renewal sets the new loan's annual_rate")
        return self


class ChainRequestOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    kind: Literal["renewal", "extension"]
    status: Literal["requested", "approved", "declined", "withdrawn"]
    months: Int
    repayment_method: RepaymentMethod | None
    reason: str
    requested_by: str
    requested_on: date
    rules: list[RuleOut]
    restructuring: StrictBool
    decided_by: str | None
    decided_at: datetime | None
    annual_rate: RateOut | None
    decision_note: str | None
    new_loan_id: uuid.UUID | None


class QueuedRequestOut(ChainRequestOut):
    """A request with what a reviewer reads first about its loan."""

    region_code: str
    officer: str
    principal_outstanding: MoneyOut
    days_past_due: Int
    maturity_date: date | None
    may_decide: StrictBool = Field(
        description="false for the reviewer's own request: another person decides it (4.1)"
    )


class ChainRequestPage(BaseModel):
    items: list[QueuedRequestOut]
    total: Int
