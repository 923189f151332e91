from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import Day, MoneyOut, PositiveMoney, RateOut
from app.domain.collections import (
    CloseReason,
    CollectionActionKind,
    Finding,
    PromiseStatus,
    WriteOffGrounds,
)


class ParticipantRole(StrEnum):
    borrower = "borrower"  # 借款人
    family = "family"  # 家庭成员
    village_committee = "village_committee"  # 村两委
    first_secretary = "first_secretary"  # 驻村第一书记
    work_team = "work_team"  # 驻村工作队
    officer = "officer"  # 客户经理
    other = "other"


class Participant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: ParticipantRole
    name: str = Field(min_length=1, max_length=100)


class CollectionActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CollectionActionKind
    taken_on: Day | None = Field(default=None, description="default: the business day today")
    participants: list[Participant] = Field(min_length=1, max_length=20)
    findings: list[Finding] = Field(default_factory=list, max_length=len(Finding))
    notes: str = Field(min_length=1, max_length=4000, examples=["户主因病住院，家属表示秋收后还款"])
    next_step: str | None = Field(default=None, max_length=1000)
    next_action_on: Day | None = None


class CollectionActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: CollectionActionKind
    taken_on: date
    participants: list[Participant]
    findings: list[Finding]
    notes: str
    next_step: str | None
    next_action_on: date | None
    recorded_by: str
    recorded_at: datetime


class PromiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    promised_on: Day = Field(description="the date the borrower promised to pay by")
    amount: PositiveMoney


class PromiseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    made_on: date
    promised_on: date
    amount: MoneyOut
    status: PromiseStatus
    paid: MoneyOut | None = Field(description="paid from the promise to its date, once judged")
    judged_on: date | None
    recorded_by: str


class CollectionCaseOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    region_code: str
    officer: str
    opened_on: date
    closed_on: date | None
    close_reason: CloseReason | None
    bucket: str = Field(description="days past due bucket, e.g. 31-90 (COLLECTION_BUCKETS)")
    days_past_due: int = Field(description="the loan's, as of its county's last end of day")
    escalated_on: date = Field(description="when the case entered its bucket")
    overdue_principal: MoneyOut
    overdue_interest: MoneyOut
    penalty_outstanding: MoneyOut
    suggested_actions: list[CollectionActionKind] = Field(description="what the bucket calls for")
    actions: list[CollectionActionOut]
    promises: list[PromiseOut]


class CollectionCasePage(BaseModel):
    items: list[CollectionCaseOut]


class WorkReason(StrEnum):
    broken_promise = "broken_promise"  # 承诺还款未兑现
    promise_due = "promise_due"  # 承诺还款日已到
    action_due = "action_due"  # 约定的下一步到期
    escalated = "escalated"  # 逾期升级，尚未跟进
    no_action_yet = "no_action_yet"  # 尚无催收记录


class WorkItem(BaseModel):
    case: CollectionCaseOut
    reasons: list[WorkReason]


class WorkQueue(BaseModel):
    officer: str
    as_of: date
    items: list[WorkItem] = Field(description="broken promises first, then most days past due")
    total: int = Field(description="how many cases need work today (items holds up to `limit`)")


class WriteOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grounds: WriteOffGrounds
    reason: str = Field(
        min_length=2, max_length=2000, examples=["借款人因病丧失劳动能力，多次催收无果"]
    )
    evidence: list[str] = Field(
        max_length=50,
        description="the documents on file (collection records, certificates, court papers)",
        examples=[["催收记录", "村委会证明", "医院诊断书"]],
    )


class WriteOffDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "approve", "note": "经贷审会审议同意核销"}]},
    )

    outcome: Literal["approve", "decline"]
    note: str | None = Field(default=None, max_length=1000)


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    core_transaction_id: str = Field(min_length=1, max_length=100)
    amount: PositiveMoney
    value_date: Day


class RecoveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    core_transaction_id: str
    amount: MoneyOut
    value_date: date
    posted_by: str


class WriteOffOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    region_code: str
    grounds: WriteOffGrounds
    reason: str
    evidence: list[str]
    status: Literal["proposed", "approved", "declined", "withdrawn"]
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    written_off_on: date | None
    principal: MoneyOut | None = Field(description="written off: principal outstanding")
    interest: MoneyOut | None = Field(description="interest overdue, due and accrued")
    penalty: MoneyOut | None
    claim: MoneyOut | None = Field(description="what the borrower still owes in all (账销案存)")
    recovered: MoneyOut
    remaining: MoneyOut | None
    recoveries: list[RecoveryOut]


class CountyCollectionsOut(BaseModel):
    region_code: str
    business_date: date | None = Field(description="of the latest end-of-day figures")
    overdue_ratio: RateOut | None = Field(description="overdue balance ÷ balance (4.3)")
    overdue_ratio_month_ago: RateOut | None
    overdue_growth: RateOut | None = Field(description="the change over the month (逾期率增速)")
    alert: bool = Field(description="the county's 4.3 alert, from the same figures")
    suspension_recommended: bool
    reasons: list[str]
    open_cases: dict[str, int] = Field(description="open collection cases by bucket")
    cases_never_acted_on: int
    promises_broken_last_30_days: int
