from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.core.types import Day, MoneyOut, PositiveMoney, Rate, RateOut
from app.domain.subsidy import ProgrammeBasis


class LendingStatus(StrEnum):
    open = "open"
    suspended = "suspended"


class LendingStatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "suspended", "reason": "逾期率超过 15%，暂停新增放款（4.3）"}]
        },
    )

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


class SubsidySettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"subsidise_overdue_days": False, "reason": "按县财政局通知，逾期期间不予贴息"}
            ]
        },
    )

    subsidise_overdue_days: StrictBool = Field(
        description="1.6: subsidise days on which a loan has an instalment overdue"
        " (default false: 逾期期间不予贴息)"
    )
    reason: str = Field(min_length=1, max_length=2000)


class SubsidyProgrammeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region_prefix": "5201",
                    "name": "贵阳市帮扶小额信贷地方贴息",
                    "basis": "rate_points",
                    "value": "0.01",
                    "principal_cap": "50000.00",
                    "effective_from": "2026-03-01",
                    "reason": "筑财农〔2026〕12号",
                }
            ]
        },
    )

    region_prefix: str = Field(
        pattern=r"^\d{2,6}$", description="GB/T 2260 code prefix: province, city or county"
    )
    name: str = Field(min_length=1, max_length=200)
    basis: ProgrammeBasis = Field(
        description="share_of_rate: value × contract rate; rate_points: value as a rate"
    )
    value: Rate
    principal_cap: PositiveMoney | None = Field(
        default=None, description="the principal the local subsidy covers at most"
    )
    effective_from: Day
    effective_to: Day | None = Field(default=None, description="exclusive; open-ended if absent")
    reason: str = Field(min_length=1, max_length=2000, description="the local document")

    @model_validator(mode="after")
    def _sensible(self) -> SubsidyProgrammeIn:
        if self.basis is ProgrammeBasis.share_of_rate and self.value > 1:
            raise ValueError("a share of the rate is at most 1")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class SubsidyProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: Literal["pending", "in_force", "declined", "withdrawn"] = Field(
        description="pending until a second risk manager approves it"
    )
    region_prefix: str
    name: str
    basis: ProgrammeBasis
    value: RateOut
    principal_cap: MoneyOut | None
    effective_from: date
    effective_to: date | None
    reason: str
    created_by: str
    created_at: datetime


class RegionOut(BaseModel):
    code: str
    lending_status: LendingStatus
    status_reason: str | None
    subsidise_overdue_days: StrictBool = Field(
        description="1.6: whether overdue days are subsidised (default false)"
    )
    figures: RegionFiguresOut | None = Field(description="from the latest end of day")
    alert: StrictBool
    suspension_recommended: StrictBool
    reasons: list[str] = Field(description="each citing clause 4.3")
    history: list[StatusChangeOut]
