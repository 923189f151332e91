"""Request and response bodies of the policy trial endpoints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, computed_field

from app.core.i18n import Said, language_var
from app.core.types import Day, Int, Money, MoneyOut, PositiveMoney, Rate, RateOut
from app.domain.eligibility import RosterStatus
from app.domain.policy import Purpose, RepaymentMethod
from app.domain.rules import Level

REGION_CODE = r"^\d{6}$"


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: Day
    full_civil_capacity: StrictBool
    major_bad_credit_record: StrictBool
    has_labor_skills: StrictBool


class TrialHouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roster_status: RosterStatus
    region_code: str = Field(pattern=REGION_CODE, description="GB/T 2260 county code")
    has_outstanding_assistance_loan: StrictBool
    region_suspended: StrictBool


class TrialRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: str = Field(min_length=1, max_length=8)
    credit_limit: Money
    valid_until: Day


class LoanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money
    term_months: Int = Field(ge=0, le=600)
    purpose: Purpose
    large_production: StrictBool = False
    guarantee_required: StrictBool = False


class EligibilityTrialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "application_date": "2026-06-01",
                    "applicant": {
                        "birth_date": "1980-05-10",
                        "full_civil_capacity": True,
                        "major_bad_credit_record": False,
                        "has_labor_skills": True,
                    },
                    "household": {
                        "roster_status": "monitoring_target",
                        "region_code": "520102",
                        "has_outstanding_assistance_loan": False,
                        "region_suspended": False,
                    },
                    "rating": {
                        "grade": "A",
                        "credit_limit": "80000.00",
                        "valid_until": "2027-05-31",
                    },
                    "loan": {
                        "amount": "50000.00",
                        "term_months": 24,
                        "purpose": "livestock",
                        "large_production": False,
                        "guarantee_required": False,
                    },
                }
            ]
        },
    )

    application_date: Day
    applicant: ApplicantIn
    household: TrialHouseholdIn
    rating: TrialRatingIn | None
    loan: LoanIn


class RuleOut(BaseModel):
    code: str = Field(description="Stable rule code")
    clause: str = Field(description="Clause of the notice, e.g. '1.9' for 一(九)")
    passed: StrictBool
    message: str = Field(
        description="In the language asked for: Chinese by default, English with"
        " `Accept-Language: en`"
    )
    message_zh: str = Field(description="中文")
    message_en: str = Field(description="English")
    level: Level = Field(
        default="error",
        description="`warning`: a failure does not refuse; the decider acknowledges it",
    )

    @classmethod
    def of(
        cls, code: str, clause: str, passed: bool, zh: str, en: str, level: Level = "error"
    ) -> RuleOut:
        return cls(
            code=code,
            clause=clause,
            passed=passed,
            message=Said(zh, en).in_(language_var.get()),
            message_zh=zh,
            message_en=en,
            level=level,
        )

    @classmethod
    def stored(cls, row: dict[str, Any]) -> RuleOut:
        """A verdict as kept with a decision: `message` (English) and `message_zh`."""
        return cls.of(
            row["code"],
            row["clause"],
            row["passed"],
            row["message_zh"],
            row["message"],
            row.get("level", "error"),
        )


class EligibilityOut(BaseModel):
    eligible: StrictBool
    policy_version: str
    rules: list[RuleOut]


class SubsidyTrialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "annual_rate": "0.0435",
                    "amount": "80000.00",
                    "large_production": True,
                    "contract_date": "2026-06-01",
                    "local_subsidy_rate": "0.01",
                }
            ]
        },
    )

    annual_rate: Rate
    amount: PositiveMoney
    large_production: StrictBool = False
    contract_date: Day
    local_subsidy_rate: Rate = Field(default=Decimal("0"))
    region_code: str | None = Field(default=None, pattern=REGION_CODE)


class SubsidyOut(BaseModel):
    policy_version: str
    central_subsidy_rate: RateOut
    local_subsidy_rate: RateOut
    borrower_rate_on_subsidised: RateOut
    subsidised_principal: MoneyOut
    unsubsidised_principal: MoneyOut
    warnings: list[str]


class ScheduleTrialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "principal": "12000.00",
                    "annual_rate": "0.0435",
                    "term_months": 12,
                    "method": "equal_installment",
                    "start_date": "2026-06-15",
                }
            ]
        },
    )

    principal: PositiveMoney
    annual_rate: Rate
    term_months: Int = Field(ge=1, le=36)
    method: RepaymentMethod
    start_date: Day = Field(description="Value date of the disbursement")
    large_production: StrictBool = Field(default=False, description="For the subsidy shares")
    local_subsidy_rate: Rate = Field(default=Decimal("0"), description="For the subsidy shares")


class TrialInstalmentOut(BaseModel):
    number: Int
    due_date: date
    principal: MoneyOut
    interest: MoneyOut
    payment: MoneyOut
    remaining_principal: MoneyOut
    central_subsidy: MoneyOut | None = Field(description="None under legacy terms")
    local_subsidy: MoneyOut | None
    borrower_interest: MoneyOut | None


class TrialScheduleOut(BaseModel):
    policy_version: str
    instalments: list[TrialInstalmentOut]
    total_principal: MoneyOut
    total_interest: MoneyOut
    maturity_date: date

    # Marked deprecated in the API document only: pydantic's own `deprecated=` would warn on
    # every answer it serialises.
    @computed_field(  # type: ignore[prop-decorator]
        description="Deprecated: the same rows as `instalments`, under the earlier spelling;"
        " it goes in API v2.",
        json_schema_extra={"deprecated": True},
    )
    @property
    def installments(self) -> list[TrialInstalmentOut]:
        return self.instalments
