from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.types import Day, Money, MoneyOut, RateOut
from app.reports.periods import PERIOD_PATTERN


class ClaimLineOut(BaseModel):
    loan_id: uuid.UUID
    borrower: str = Field(description="name and masked ID number")
    policy_version: str
    central_subsidy: MoneyOut
    local_subsidy: MoneyOut
    central_adjustment: MoneyOut
    local_adjustment: MoneyOut


class CountyClaimOut(BaseModel):
    region_code: str
    status: str = Field(description="draft, submitted (frozen) or paid")
    claim_id: uuid.UUID | None
    loans: int
    central_subsidy: MoneyOut
    local_subsidy: MoneyOut
    central_adjustment: MoneyOut = Field(
        description="pay-off true-ups and misuse reversals (negative) posted in the period"
    )
    local_adjustment: MoneyOut
    central_claimed: MoneyOut
    local_claimed: MoneyOut
    paid_central: MoneyOut | None
    paid_local: MoneyOut | None
    paid_on: date | None
    difference_central: MoneyOut | None = Field(description="paid − claimed")
    difference_local: MoneyOut | None
    lines: list[ClaimLineOut]


class SubsidyClaimsOut(BaseModel):
    period: str
    period_start: date
    period_end: date
    counties: list[CountyClaimOut]
    central_claimed: MoneyOut
    local_claimed: MoneyOut


class SubmitClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2026Q3"])
    region_code: str = Field(pattern=r"^\d{6}$")


class ClaimExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2026Q3"])
    region: str | None = Field(
        default=None,
        pattern=r"^\d{2,12}$",
        description="a province, city or county code prefix (default: all your regions)",
    )


class ClaimPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_central: Money
    paid_local: Money
    paid_on: Day
    reference: str = Field(min_length=1, max_length=200)


class ClassOut(BaseModel):
    risk_class: str
    loans: int
    balance: MoneyOut


class ToleranceOut(BaseModel):
    clause: str
    product_npl_ratio: RateOut
    bank_npl_ratio: RateOut
    limit: RateOut
    within: StrictBool


class RegionQualityOut(BaseModel):
    region_code: str
    active_loans: int
    balance: MoneyOut
    overdue_ratio: RateOut
    npl_ratio: RateOut
    alert: StrictBool
    suspension_recommended: StrictBool
    lending_status: str


class PortfolioQualityOut(BaseModel):
    as_of: date
    active_loans: int
    balance: MoneyOut
    overdue_balance: MoneyOut
    npl_balance: MoneyOut
    overdue_ratio: RateOut
    npl_ratio: RateOut
    by_class: list[ClassOut]
    tolerance: ToleranceOut | None = Field(description="clause 3.1; needs the bank's NPL ratio")
    regions: list[RegionQualityOut]
    regions_in_alert: list[str]
    regions_suspended: list[str]
    regions_not_closed: list[str] = Field(description="no end of day for as_of yet")


class CompensationLineOut(BaseModel):
    region_code: str
    loan_id: uuid.UUID
    borrower: str
    risk_class: str
    principal_outstanding: MoneyOut
    fund_share: RateOut
    claimable: MoneyOut


class CompensationFundOut(BaseModel):
    region_code: str
    fund_share: RateOut
    tolerance: ToleranceOut = Field(
        description="3.1 over the fund's county: whoever asks, the same answer"
    )
    npl_principal: MoneyOut
    claimable: MoneyOut


class RiskCompensationOut(BaseModel):
    period: str
    as_of: date
    tolerance: ToleranceOut = Field(
        description="the product NPL ratio over the caller's regions, for context; each fund's"
        " claim is tested over its own county (funds)"
    )
    funds: list[CompensationFundOut]
    lines: list[CompensationLineOut]
    claimable: MoneyOut
