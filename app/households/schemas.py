from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, model_validator

from app.core.i18n import language_var
from app.core.types import Int, Money, MoneyOut
from app.domain.eligibility import RosterStatus
from app.domain.labels import RATING_REASONS_ZH
from app.domain.rating import VillageOpinion

REGION_CODE = r"^\d{6}$"
ID_NUMBER = r"^\d{17}[\dXx]$"
PHONE = r"^1[3-9]\d{9}$"


class Relation(StrEnum):
    head = "head"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    sibling = "sibling"
    grandchild = "grandchild"
    other = "other"


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(pattern=ID_NUMBER, description="18-character resident ID number")
    relation: Relation
    phone: str | None = Field(default=None, pattern=PHONE)
    full_civil_capacity: StrictBool = True
    has_labor_skills: StrictBool = True


class HouseholdIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region_code": "520102",
                    "address": "南明区某村3组12号",
                    "disbursement_account": "6217001234567890123",
                    "members": [
                        {
                            "name": "张三",
                            "id_number": "52010219900101123X",
                            "relation": "head",
                            "phone": "13812345678",
                        }
                    ],
                }
            ]
        },
    )

    region_code: str = Field(pattern=REGION_CODE, description="GB/T 2260 county code")
    address: str = Field(min_length=1, max_length=300)
    household_number: str | None = Field(default=None, min_length=1, max_length=40)
    disbursement_account: str = Field(pattern=r"^\d{10,30}$")
    members: list[MemberIn] = Field(min_length=1, max_length=20)


class MemberOut(BaseModel):
    id: uuid.UUID
    name: str
    relation: str
    id_number: str = Field(description="masked, e.g. 5201**********123X")
    phone: str | None = Field(description="masked, e.g. 138****5678")
    birth_date: date
    full_civil_capacity: StrictBool | None = Field(description="null: not recorded yet")
    has_labor_skills: StrictBool | None = Field(description="null: not recorded yet")
    roster_status: RosterStatus


class MemberFactsIn(BaseModel):
    """Facts an officer verified (1.9): e.g. those a legacy import did not carry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"full_civil_capacity": True, "has_labor_skills": True, "reason": "入户核实"}
            ]
        },
    )

    full_civil_capacity: StrictBool | None = None
    has_labor_skills: StrictBool | None = None
    reason: str = Field(min_length=1, max_length=2000, description="how it was verified")


class HouseholdOut(BaseModel):
    id: uuid.UUID
    region_code: str
    address: str
    household_number: str | None
    disbursement_account: str = Field(description="masked")
    roster_status: RosterStatus = Field(description="derived from the imported roster")
    members: list[MemberOut]
    created_at: datetime


class HouseholdPage(BaseModel):
    items: list[HouseholdOut]
    total: int = Field(description="households matching, within your regions")


# A strong household's rating inputs: the OpenAPI example, the demo's and the tests'.
EXAMPLE_RATING: dict[str, JsonValue] = {
    "annual_household_income": "60000.00",
    "annual_production_income": "45000.00",
    "assets": "150000.00",
    "liabilities": "10000.00",
    "annual_existing_repayments": "3000.00",
    "production_experience_years": 8,
    "bureau_current_overdue": False,
    "bureau_worst_days_past_due_24m": 0,
    "bureau_major_bad_record": False,
    "village_opinion": "positive",
    "production_cycle_months": 12,
}


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_RATING]})

    annual_household_income: Money
    annual_production_income: Money
    assets: Money
    liabilities: Money
    annual_existing_repayments: Money
    production_experience_years: Int = Field(ge=0, le=80)
    bureau_current_overdue: StrictBool
    bureau_worst_days_past_due_24m: Int = Field(ge=0, le=10_000)
    bureau_major_bad_record: StrictBool
    village_opinion: VillageOpinion
    production_cycle_months: Int = Field(default=12, ge=1, le=12)
    note: str | None = Field(default=None, max_length=2000)


class ReasonOut(BaseModel):
    code: str
    label: str = Field(default="", description="the reason in Chinese, e.g. 偿债比例")
    points: Int
    max_points: Int
    detail: str = Field(
        description="what was found, in the language asked for (ratings made before Chinese"
        " details were kept: English)"
    )
    detail_zh: str = ""

    @model_validator(mode="after")
    def _labelled(self) -> ReasonOut:
        self.label = RATING_REASONS_ZH.get(self.code, self.code)
        if self.detail_zh and language_var.get() == "zh":
            self.detail = self.detail_zh
        return self


class RatingOut(BaseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    scorecard_version: str
    score: Int
    grade: str
    credit_limit: MoneyOut
    valid_from: date
    valid_until: date
    reasons: list[ReasonOut]
    rated_by: str
    created_at: datetime
