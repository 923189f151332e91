from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.types import MoneyOut, RateOut


class LendingStatus(StrEnum):
    open = "open"
    suspended = "suspended"


class LendingStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LendingStatus
    reason: str = Field(min_length=1, max_length=2000)


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: str
    reason: str
    changed_by: str
    changed_at: datetime


class RegionFiguresOut(BaseModel):
    business_date: date
    active_loans: int
    overdue_loans: int
    npl_loans: int
    balance: MoneyOut
    overdue_balance: MoneyOut
    npl_balance: MoneyOut
    overdue_ratio: RateOut
    npl_ratio: RateOut
    overdue_ratio_change_month: RateOut | None
    npl_ratio_change_month: RateOut | None


class RegionOut(BaseModel):
    code: str
    lending_status: LendingStatus
    status_reason: str | None
    figures: RegionFiguresOut | None = Field(description="from the latest end of day")
    alert: StrictBool
    suspension_recommended: StrictBool
    reasons: list[str] = Field(description="each citing clause 4.3")
    history: list[StatusChangeOut]
