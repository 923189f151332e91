"""Collections (notice 4.3: 加强与村两委、驻村第一书记、工作队等基层组织力量协同配合): what an
overdue loan's case records and how it escalates. Pure: the batch's SQL is built from these
constants (app/batch/eod.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from app.domain.rules import RuleResult, rule


class CollectionActionKind(StrEnum):
    phone_call = "phone_call"  # 电话催收
    home_visit = "home_visit"  # 上门走访
    village_committee = "village_committee"  # 村两委协同
    first_secretary = "first_secretary"  # 驻村第一书记协同
    work_team = "work_team"  # 驻村工作队协同


class Finding(StrEnum):
    hardship = "hardship"  # 经营困难
    illness = "illness"  # 因病
    disaster = "disaster"  # 自然灾害
    misuse = "misuse"  # 挪用贷款
    refusal_to_pay = "refusal_to_pay"  # 恶意逃废债
    willing_to_pay = "willing_to_pay"  # 有还款意愿


class PromiseStatus(StrEnum):
    open = "open"
    kept = "kept"
    broken = "broken"


class CloseReason(StrEnum):
    current = "current"  # the loan performs again
    closed = "closed"  # repaid
    renewed = "renewed"
    written_off = "written_off"


# Where each bucket starts, in days past due: 1–30, 31–90, 91–180, 181+ (COLLECTION_BUCKETS).
DEFAULT_BUCKET_STARTS: tuple[int, ...] = (1, 31, 91, 181)

# What a case in each bucket calls for (in order of the buckets; the last one for any beyond).
SUGGESTED: tuple[tuple[CollectionActionKind, ...], ...] = (
    (CollectionActionKind.phone_call,),
    (CollectionActionKind.home_visit, CollectionActionKind.phone_call),
    (
        CollectionActionKind.village_committee,
        CollectionActionKind.first_secretary,
        CollectionActionKind.home_visit,
    ),
    (
        CollectionActionKind.work_team,
        CollectionActionKind.village_committee,
        CollectionActionKind.first_secretary,
    ),
)


def valid_bucket_starts(starts: Sequence[int]) -> tuple[int, ...]:
    """Buckets start at 1 day past due and rise strictly."""
    values = tuple(starts)
    if not values or values[0] != 1 or any(b <= a for a, b in pairwise(values)):
        raise ValueError("collection buckets start at 1 and rise, e.g. 1,31,91,181")
    return values


def bucket_label(starts: Sequence[int], index: int) -> str:
    """`1-30`, …, `181+`."""
    if index == len(starts) - 1:
        return f"{starts[index]}+"
    return f"{starts[index]}-{starts[index + 1] - 1}"


def bucket_of(starts: Sequence[int], days_past_due: int) -> str | None:
    """The bucket a loan this many days past due is in; None when it is current."""
    if days_past_due < starts[0]:
        return None
    index = max(i for i, start in enumerate(starts) if days_past_due >= start)
    return bucket_label(starts, index)


# A case with nothing to look at until something happens to its loan (it is in the last bucket).
NO_TRANSITION = date(9999, 12, 31)
# A case whose loan changed since its last look (migration 0030's trigger): looked at next close.
REVIEW_AT_NEXT_CLOSE = date(1900, 1, 1)


def next_review(starts: Sequence[int], days_past_due: int, day: date) -> date:
    """The day a case's bucket moves if its loan stays as it is: its days past due grow by one
    a day, so the next bucket's start is that many days away. A payment, a reversal or the loan
    leaving the book moves it sooner; the database marks those (migration 0030)."""
    later = [start for start in starts if start > days_past_due]
    return day + timedelta(days=later[0] - days_past_due) if later else NO_TRANSITION


def next_review_sql(starts: Sequence[int], column: str, day: str) -> str:
    """`next_review` as a SQL expression over an integer column and a date parameter."""
    arms = " ".join(
        f"WHEN {column} < {start} THEN CAST({day} AS date) + ({start} - {column})"
        for start in starts
    )
    return f"CASE {arms} ELSE DATE '{NO_TRANSITION.isoformat()}' END"


def bucket_sql(starts: Sequence[int], column: str) -> str:
    """`bucket_of` as a SQL CASE over an integer column (code constants only)."""
    arms = " ".join(
        f"WHEN {column} >= {start} THEN '{bucket_label(starts, i)}'"
        for i, start in reversed(list(enumerate(starts)))
    )
    return f"CASE {arms} END"


def suggested_actions(starts: Sequence[int], bucket: str) -> tuple[CollectionActionKind, ...]:
    labels = [bucket_label(starts, i) for i in range(len(starts))]
    index = labels.index(bucket) if bucket in labels else len(labels) - 1
    return SUGGESTED[min(index, len(SUGGESTED) - 1)]


# A promise further out than this is a plan, not a promise (a restructuring is the tool).
MAX_PROMISE_DAYS = 90


def promise_date_allowed(today: date, promised_on: date) -> bool:
    return today <= promised_on <= today + timedelta(days=MAX_PROMISE_DAYS)


def promise_outcome(amount: Decimal, paid: Decimal) -> PromiseStatus:
    """Judged at the end of the promised date: kept if what was paid from the day the promise
    was made to that date reaches the amount promised."""
    return PromiseStatus.kept if paid >= amount else PromiseStatus.broken


class WriteOffGrounds(StrEnum):
    loss_class = "loss_class"  # 损失类
    collection_exhausted = "collection_exhausted"  # 催收穷尽，有据可查


# Organisations whose part in a case shows collection went beyond the bank (4.3).
GRASSROOTS = frozenset(
    {
        CollectionActionKind.village_committee,
        CollectionActionKind.first_secretary,
        CollectionActionKind.work_team,
    }
)
DEFAULT_WRITE_OFF_MIN_DAYS_PAST_DUE = 181
DEFAULT_WRITE_OFF_MIN_ACTIONS = 3


def write_off_rules(
    grounds: WriteOffGrounds,
    *,
    risk_class: str,
    days_past_due: int,
    actions: Sequence[CollectionActionKind],
    evidence: Sequence[str],
    min_days_past_due: int = DEFAULT_WRITE_OFF_MIN_DAYS_PAST_DUE,
    min_actions: int = DEFAULT_WRITE_OFF_MIN_ACTIONS,
) -> list[RuleResult]:
    """Clause 2.1 (核销资源): a loan may be proposed for write-off when it is loss-class, or when
    collection is exhausted — long past due, several actions on record, the village
    organisations involved — with evidence either way."""
    results = [
        rule(
            "write_off_evidence",
            "2.1",
            bool(evidence),
            "核销申请附有证据材料",
            "The proposal lists its evidence",
        )
    ]
    if grounds is WriteOffGrounds.loss_class:
        results.append(
            rule(
                "write_off_loss_class",
                "2.1",
                risk_class == "loss",
                "贷款已划为损失类",
                "The loan is classified as loss",
            )
        )
        return results
    results += [
        rule(
            "write_off_days_past_due",
            "2.1",
            days_past_due >= min_days_past_due,
            f"逾期已达{min_days_past_due}天",
            f"The loan is at least {min_days_past_due} days past due",
        ),
        rule(
            "write_off_collection_actions",
            "2.1",
            len(actions) >= min_actions,
            f"催收记录不少于{min_actions}次",
            f"At least {min_actions} collection actions are on record",
        ),
        rule(
            "write_off_grassroots",
            "4.3",
            any(a in GRASSROOTS for a in actions),
            "已协同村两委、驻村第一书记或工作队催收",
            "The village committee, first secretary or work team took part in collection",
        ),
    ]
    return results
