from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import Int, MoneyOut, RateOut
from app.domain.classification import RiskClass
from app.domain.eligibility import RosterStatus
from app.domain.loan_status import LoanStatus
from app.domain.policy import RepaymentMethod
from app.loans.models import DisbursementStatus


class DisbursementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    amount: MoneyOut
    status: DisbursementStatus
    core_transaction_id: str | None
    value_date: date | None
    failure_reason: str | None
    created_at: datetime
    confirmed_at: datetime | None


class DisbursementStateOut(DisbursementOut):
    """A disbursement with its instruction's delivery, for reconciliation with core banking."""

    requested_by: str
    delivery_status: str | None = Field(
        description="the instruction to core banking: pending, delivered, failed or settled"
        " (its disbursement was confirmed; no longer sent)"
    )
    delivery_attempts: int
    last_error: str | None
    reconciliation: str | None = Field(
        description="confirmed_after_cancel: core banking reported a payment after the"
        " disbursement was cancelled; the reported reference and value date are kept for"
        " reconciliation"
    )
    reported_transaction_id: str | None
    reported_value_date: date | None


class LoanSummaryOut(BaseModel):
    """The contract's terms, fixed for the loan's life."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contract_number: str = Field(
        description="合同编号: county, year and sequence, assigned at signing",
        examples=["520102-2027-000123"],
    )
    application_id: uuid.UUID | None
    household_id: uuid.UUID
    borrower_member_id: uuid.UUID
    borrower_name: str | None = Field(
        default=None,
        description="the borrower's name; masked (张**) for roles that need no names",
    )
    region_code: str
    status: LoanStatus
    officer: str = Field(description="the loan officer who looks after the loan")
    policy_version: str
    principal: MoneyOut
    annual_rate: RateOut
    term_months: Int
    repayment_method: RepaymentMethod
    central_subsidy_rate: RateOut
    local_subsidy_rate: RateOut
    subsidised_principal: MoneyOut
    local_subsidised_principal: MoneyOut = Field(
        description="the principal the local programme subsidises (its cap, 1.6)"
    )
    penalty_markup: RateOut = Field(
        description="overdue principal bears the rate × (1 + this), fixed at signing"
    )
    misuse_markup: RateOut = Field(
        description="misused funds bear the rate × this on top, fixed at signing"
    )
    roster_household: str | None = Field(description="the roster household number (1.1)")
    signed_on: date


class RiskClassIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"risk_class": "substandard", "reason": "借款人经营停滞，还款来源不足"}]
        },
    )

    risk_class: RiskClass = Field(description="the same or a worse class than today's")
    reason: str = Field(min_length=1, max_length=2000)
    evidence: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list,
        max_length=50,
        description="what supports it: required for doubtful or loss beyond what the days past "
        "due give, which a second risk manager then decides (3.1)",
    )


class LoanOut(LoanSummaryOut):
    value_date: date | None
    maturity_date: date | None
    closed_on: date | None
    business_date: date | None = Field(description="the region's open business date")
    principal_outstanding: MoneyOut
    overdue_principal: MoneyOut
    overdue_interest: MoneyOut
    penalty_outstanding: MoneyOut
    next_due_date: date | None
    days_past_due: Int
    risk_class: RiskClass
    interest_accrued: MoneyOut = Field(description="contractual interest accrued to date")
    central_subsidy_to_date: MoneyOut
    local_subsidy_to_date: MoneyOut
    penalty_accrued: MoneyOut
    renewals_or_extensions_used: Int
    renewed_from_id: uuid.UUID | None
    extension_months: Int
    external_ref: str | None = Field(description="contract number in the earlier system")
    last_visit_on: date | None
    misuse_since: date | None
    subsidy_forfeited_from: date | None = Field(
        description="no subsidy from this date on: a confirmed misuse (1.6, 3.3)"
    )
    restructured_on: date | None
    observation_end: date | None = Field(
        description="a restructured loan's observation period ends (3.1)"
    )
    borrower_roster_status: RosterStatus | None = Field(
        default=None, description="on the loan view only (derived from the roster)"
    )
    alerts: list[str]
    disbursement: DisbursementStateOut | None = Field(
        default=None, description="the latest disbursement, on the loan view only"
    )


class LoanTotalsOut(BaseModel):
    """The sums over every loan the filters match (not only the page's)."""

    principal: MoneyOut = Field(description="合同金额合计")
    principal_outstanding: MoneyOut = Field(description="本金余额合计")
    overdue_principal: MoneyOut = Field(description="逾期本金合计")
    overdue_interest: MoneyOut = Field(description="逾期利息合计")


class LoanPage(BaseModel):
    items: list[LoanOut]
    next_cursor: str | None
    total: Int = Field(description="how many loans the filters match, on every page")
    totals: LoanTotalsOut | None = Field(description="their sums, when asked (`totals=true`)")


class InstalmentOut(BaseModel):
    number: Int
    period_start: date
    due_date: date
    principal_due: MoneyOut
    interest_due: MoneyOut
    prepaid_interest: MoneyOut
    central_subsidy: MoneyOut
    local_subsidy: MoneyOut
    principal_paid: MoneyOut
    interest_paid: MoneyOut
    outstanding: MoneyOut
    status: Literal["scheduled", "due", "overdue", "paid"]


class ScheduleOut(BaseModel):
    loan_id: uuid.UUID
    business_date: date | None
    instalments: list[InstalmentOut]
    total_principal: MoneyOut
    total_interest: MoneyOut
