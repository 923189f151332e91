from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


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


class RegionOut(BaseModel):
    code: str
    lending_status: LendingStatus
    status_reason: str | None
    history: list[StatusChangeOut]
