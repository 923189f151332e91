from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.types import Day, Int, MoneyOut, PositiveMoney
from app.domain.monitoring import FundUse


class VisitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "visited_on": "2027-01-15",
                    "finding": "as_declared",
                    "notes": "牛舍扩建完成，存栏12头",
                }
            ]
        },
    )

    visited_on: Day
    finding: FundUse
    misused_amount: PositiveMoney | None = Field(
        default=None, description="with a misuse finding; default the outstanding principal"
    )
    corrects_misuse: StrictBool = Field(
        default=False, description="with as_declared: the earlier misuse has been corrected"
    )
    notes: str | None = Field(default=None, max_length=4000)
    follow_up: str | None = Field(default=None, max_length=4000)


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    visited_on: date
    finding: FundUse
    misused_amount: MoneyOut | None
    corrects_misuse: StrictBool
    notes: str | None
    follow_up: str | None
    recorded_by: str
    created_at: datetime


class DueVisitOut(BaseModel):
    loan_id: uuid.UUID
    region_code: str
    last_visit_on: date | None
    next_visit_due: date


class DueVisitPage(BaseModel):
    as_of: date
    interval_days: Int
    items: list[DueVisitOut]
