from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.core.types import Day, Int, MoneyOut, PositiveMoney, Rate, RateOut
from app.domain.policy import Purpose, RepaymentMethod
from app.domain.subsidy import LargeProductionCategory
from app.loans.schemas import LoanSummaryOut
from app.policy.schemas import RuleOut, TrialInstalmentOut


class ApplicationStatus(StrEnum):
    submitted = "submitted"
    approved = "approved"
    declined = "declined"
    withdrawn = "withdrawn"
    contracted = "contracted"


class ApplicationTrialIn(BaseModel):
    """The terms an officer is typing, for a household on file: nothing is stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "household_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "applicant_member_id": "3fa85f64-5717-4562-b3fc-2c963f66afa7",
                    "amount": "50000.00",
                    "term_months": 24,
                    "purpose": "livestock",
                    "large_production": False,
                }
            ]
        },
    )

    household_id: uuid.UUID
    applicant_member_id: uuid.UUID
    amount: PositiveMoney
    term_months: Int = Field(ge=1, le=120)
    purpose: Purpose
    large_production: StrictBool = False


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "household_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "applicant_member_id": "3fa85f64-5717-4562-b3fc-2c963f66afa7",
                    "amount": "50000.00",
                    "term_months": 24,
                    "purpose": "livestock",
                    "purpose_detail": "扩大肉牛养殖，购入10头西门塔尔牛",
                    "large_production": False,
                    "repayment_method": "equal_installment",
                }
            ]
        },
    )

    household_id: uuid.UUID
    applicant_member_id: uuid.UUID
    amount: PositiveMoney
    term_months: Int = Field(ge=1, le=120)
    purpose: Purpose
    purpose_detail: str = Field(min_length=1, max_length=2000)
    large_production: StrictBool = False
    large_production_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Required with large_production (clause 1.6)",
    )
    large_production_category: LargeProductionCategory | None = Field(
        default=None,
        description="Required with large_production: the kind of large production need the"
        " notice names (1.6): scale_up 扩大生产经营规模, farm_facilities 购买农用设施设备,"
        " facility_agriculture 开展设施农业经营",
    )
    repayment_method: RepaymentMethod

    @model_validator(mode="after")
    def _large_production_needs_reason(self) -> ApplicationIn:
        if self.large_production and not (
            self.large_production_reason and self.large_production_category
        ):
            raise ValueError(
                "large_production_reason and large_production_category are required when"
                " large_production is true"
            )
        if self.large_production_category is not None and not self.large_production:
            raise ValueError("large_production_category goes with large_production")
        return self


class InvestigationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "visited_on": "2026-06-10",
                    "investigators": ["officer-zhang", "officer-li"],
                    "project_findings": "实地查看养牛场，存栏 12 头，扩建牛棚需资金",
                    "need_is_genuine": True,
                    "project_is_lawful": True,
                    "notes": "村委会证实经营正常",
                }
            ]
        },
    )

    visited_on: Day
    investigators: list[str] = Field(min_length=1, max_length=10)
    project_findings: str = Field(min_length=1, max_length=4000)
    need_is_genuine: StrictBool
    project_is_lawful: StrictBool
    notes: str | None = Field(default=None, max_length=4000)


class InvestigationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    visited_on: date
    investigators: list[str]
    project_findings: str
    need_is_genuine: StrictBool
    project_is_lawful: StrictBool
    notes: str | None
    recorded_by: str
    created_at: datetime


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approve"]
    amount: PositiveMoney
    term_months: Int = Field(ge=1, le=120)
    annual_rate: Rate
    repayment_method: RepaymentMethod
    local_subsidy_rate: Rate | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},
        description="Deprecated: the local subsidy comes from the region's programme in force"
        " (1.6). If sent, it must equal the programme's rate, else 409.",
    )
    large_production_confirmed: StrictBool = Field(
        default=False,
        description="The reviewer confirms the large production need applied for (1.6): the"
        " subsidised principal may then rise to 100,000. Without it the cap is 50,000.",
    )
    rate_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="why the rate is outside the suggested band (1.4; required there)",
    )
    note: str | None = Field(default=None, max_length=2000)
    acknowledged: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list,
        max_length=20,
        description="codes of the application's `warnings` the reviewer has read (e.g. "
        "`diversion_wording`, 1.8): each warning shown must be acknowledged to approve",
    )


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["decline"]
    reason_codes: list[str] = Field(min_length=1, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": {
                        "outcome": "approve",
                        "amount": "50000.00",
                        "term_months": 36,
                        "annual_rate": "0.0345",
                        "repayment_method": "equal_installment",
                    }
                }
            ]
        }
    )

    decision: Approve | Decline = Field(discriminator="outcome")


class EvaluationOut(BaseModel):
    stage: str
    evaluated_on: date
    policy_version: str
    eligible: StrictBool
    rules: list[RuleOut]


class DecisionOut(BaseModel):
    outcome: Literal["approve", "decline"]
    decided_by: str
    decided_at: datetime
    amount: MoneyOut | None = None
    term_months: Int | None = None
    annual_rate: RateOut | None = None
    repayment_method: RepaymentMethod | None = None
    local_subsidy_rate: RateOut | None = None
    suggested_rate: RateOut | None = Field(default=None, description="1.4 rate guidance")
    rate_reason: str | None = None
    large_production_confirmed: StrictBool | None = None
    reason_codes: list[str] | None = None
    note: str | None = None


class ApplicationOut(BaseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    applicant_member_id: uuid.UUID
    borrower_name: str | None = Field(
        default=None,
        description="the applicant's name; masked (张**) for roles that need no names",
    )
    region_code: str
    status: ApplicationStatus
    application_date: date
    amount: MoneyOut
    term_months: Int
    purpose: Purpose
    purpose_detail: str
    large_production: StrictBool
    large_production_reason: str | None
    large_production_category: LargeProductionCategory | None = None
    repayment_method: RepaymentMethod
    submitted_by: str
    officer: str = Field(
        description="the loan officer who looks after it (the submitter by default)"
    )
    submitted_at: datetime
    eligibility: EvaluationOut | None = Field(description="the latest evaluation")
    investigations: list[InvestigationOut]
    warnings: list[RuleOut] = Field(
        description="warning-level rules the reviewer reads and acknowledges in an approval "
        "(wording of diversion in the purpose or the investigation's notes, 1.8)"
    )
    decision: DecisionOut | None
    loan_id: uuid.UUID | None


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None
    total: Int = Field(description="how many applications the filters match, on every page")


class ContractIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"signed_on": "2026-06-15"}]}
    )

    signed_on: Day | None = Field(default=None, description="default: today (Asia/Shanghai)")


class ContractOut(BaseModel):
    loan: LoanSummaryOut
    subsidy_warnings: list[str]
    schedule_preview: list[TrialInstalmentOut] = Field(
        description="from the signing date; fixed from the disbursement's value date"
    )


class ReassignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_officer: str = Field(min_length=1, max_length=200)
    to_officer: str = Field(min_length=1, max_length=200)
    loan_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=10_000,
        description="just these loans; default: all the officer's open applications and"
        " outstanding loans within your regions",
    )
    reason: str = Field(min_length=2, max_length=1000, examples=["客户经理调岗"])


class ReassignmentDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "approve", "note": "原客户经理调岗"}]},
    )

    outcome: Literal["approve", "decline"]
    note: str | None = Field(default=None, max_length=1000)


class ReassignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_officer: str
    to_officer: str
    regions: list[str]
    loan_ids: list[uuid.UUID] | None
    reason: str
    status: Literal["requested", "approved", "declined"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    moved_loans: int | None
    moved_applications: int | None


class RatePartOut(BaseModel):
    code: str
    label_zh: str
    rate: RateOut = Field(description="signed: the transfer-pricing discount is negative")


class RateGuidanceOut(BaseModel):
    grade: str = Field(description="the household's rating grade in force")
    suggested_rate: RateOut
    parts: list[RatePartOut] = Field(description="they add up to the suggested rate")
    lowest: RateOut = Field(description="the band a rate needs no reason within")
    highest: RateOut
    note: str = "利率由银行确定，财政贴息不从建议利率中扣减 (1.4, 1.6)"
