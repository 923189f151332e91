from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import Day, Int, Money, PositiveMoney, Rate, RateOut
from app.domain.policy import Purpose, RepaymentMethod
from app.households.schemas import ID_NUMBER, PHONE, REGION_CODE


class LegacyBorrowerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(pattern=ID_NUMBER)
    phone: str | None = Field(default=None, pattern=PHONE)


class LegacyLoanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_ref: str = Field(min_length=1, max_length=60, description="contract number")
    borrower: LegacyBorrowerIn
    region_code: str = Field(pattern=REGION_CODE)
    address: str = Field(min_length=1, max_length=300)
    disbursement_account: str = Field(pattern=r"^\d{10,30}$")
    principal: PositiveMoney
    annual_rate: Rate
    term_months: Int = Field(ge=1, le=60)
    repayment_method: RepaymentMethod
    purpose: Purpose
    signed_on: Day
    value_date: Day
    central_subsidy_rate: Rate
    local_subsidy_rate: Rate
    subsidised_principal: Money
    instalments_paid: Int = Field(ge=0, le=60)
    renewals_or_extensions: Int = Field(ge=0, le=1)


class LegacyImportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-20",
                    "loans": [
                        {
                            "external_ref": "TPR-2025-000123",
                            "borrower": {"name": "张三", "id_number": "52010219900101123X"},
                            "region_code": "520102",
                            "address": "某乡某村三组",
                            "disbursement_account": "6217009876543210",
                            "principal": "20000.00",
                            "annual_rate": "0.03",
                            "term_months": 12,
                            "repayment_method": "interest_then_principal",
                            "purpose": "planting",
                            "signed_on": "2026-01-20",
                            "value_date": "2026-01-20",
                            "central_subsidy_rate": "0.02",
                            "local_subsidy_rate": "0.005",
                            "subsidised_principal": "20000.00",
                            "instalments_paid": 9,
                            "renewals_or_extensions": 0,
                        }
                    ],
                }
            ]
        },
    )

    as_of: Day | None = Field(default=None, description="migration date; default today")
    loans: list[LegacyLoanIn] = Field(min_length=1, max_length=20_000)


class LegacyRejection(BaseModel):
    index: Int
    external_ref: str
    reasons: list[str]


class LegacyImportOut(BaseModel):
    as_of: date
    accepted: Int
    unchanged: Int
    rejected: Int
    rejections: list[LegacyRejection]
    loan_ids: dict[str, uuid.UUID]


class LprRateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"effective_from": "2026-12-22", "one_year": "0.03", "five_year": "0.035"}]
        },
    )

    effective_from: Day = Field(description="publication date (in force until the next)")
    one_year: Rate
    five_year: Rate


class LprRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: Literal["pending", "in_force", "declined", "withdrawn"] = Field(
        description="pending until a second administrator approves it (GET /v1/decisions)"
    )
    effective_from: date
    one_year: RateOut
    five_year: RateOut
    recorded_by: str


class LegacySheetRejection(BaseModel):
    line: Int = Field(description="the row's line in the sheet (the header is line 1)")
    external_ref: str | None
    reasons: list[str]


class LegacySheetImportOut(BaseModel):
    as_of: date
    lines: Int
    accepted: Int
    unchanged: Int
    rejected: Int
    rejections: list[LegacySheetRejection]
