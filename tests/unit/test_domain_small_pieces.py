"""The domain's small pieces, each held to exact answers in the unit tier (`make mutate` runs
this tier alone): collection buckets (4.3), promises, the daily-detail horizon, the words a
refusal carries, enum labels, and the exemption case's steps (2.1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import pytest

from app.domain.accrual import accrual_on, daily_detail_from
from app.domain.collections import (
    DEFAULT_BUCKET_STARTS,
    MAX_PROMISE_DAYS,
    NO_TRANSITION,
    CollectionActionKind,
    PromiseStatus,
    bucket_label,
    bucket_of,
    bucket_sql,
    next_review,
    next_review_sql,
    promise_date_allowed,
    promise_outcome,
    suggested_actions,
    valid_bucket_starts,
)
from app.domain.exemption import CaseStatus, may_move
from app.domain.labels import code_of, label, labelled
from app.domain.loan_status import LifecycleError, LoanStatus
from app.domain.wording import Said, said_of

STARTS = DEFAULT_BUCKET_STARTS
A = CollectionActionKind


def test_clause_4_3_buckets_and_their_labels() -> None:
    assert [bucket_label(STARTS, i) for i in range(4)] == ["1-30", "31-90", "91-180", "181+"]
    assert [bucket_of(STARTS, d) for d in (0, 1, 30, 31, 90, 91, 180, 181, 999)] == [
        None,
        "1-30",
        "1-30",
        "31-90",
        "31-90",
        "91-180",
        "91-180",
        "181+",
        "181+",
    ]
    assert bucket_of((1, 5), 4) == "1-4" and bucket_of((1, 5), 5) == "5+"


def test_clause_4_3_the_batchs_bucket_sql_is_the_same_table() -> None:
    assert bucket_sql((1, 31), "l.dpd") == (
        "CASE WHEN l.dpd >= 31 THEN '31+' WHEN l.dpd >= 1 THEN '1-30' END"
    )
    assert bucket_sql(STARTS, "x") == (
        "CASE WHEN x >= 181 THEN '181+' WHEN x >= 91 THEN '91-180' "
        "WHEN x >= 31 THEN '31-90' WHEN x >= 1 THEN '1-30' END"
    )


def test_clause_4_3_a_case_is_looked_at_again_when_its_bucket_would_move() -> None:
    day = date(2027, 3, 10)
    assert [next_review(STARTS, dpd, day) for dpd in (0, 1, 5, 30, 31, 90, 180)] == [
        day + timedelta(days=1),
        day + timedelta(days=30),
        day + timedelta(days=26),
        day + timedelta(days=1),
        day + timedelta(days=60),
        day + timedelta(days=1),
        day + timedelta(days=1),
    ]
    assert next_review(STARTS, 181, day) == NO_TRANSITION
    assert next_review(STARTS, 4000, day) == NO_TRANSITION
    assert next_review((1,), 1, day) == NO_TRANSITION
    assert next_review_sql((1, 31), "d", ":d") == (
        "CASE WHEN d < 1 THEN CAST(:d AS date) + (1 - d)"
        " WHEN d < 31 THEN CAST(:d AS date) + (31 - d)"
        " ELSE DATE '9999-12-31' END"
    )


@pytest.mark.parametrize("starts", [(), (2, 31), (1, 31, 31), (1, 40, 31)])
def test_clause_4_3_buckets_start_at_one_and_rise(starts: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        valid_bucket_starts(starts)


def test_clause_4_3_buckets_that_rise_are_kept() -> None:
    assert valid_bucket_starts([1, 31, 91]) == (1, 31, 91)
    assert valid_bucket_starts((1,)) == (1,)


def test_clause_4_3_what_each_bucket_calls_for() -> None:
    assert suggested_actions(STARTS, "1-30") == (A.phone_call,)
    assert suggested_actions(STARTS, "31-90") == (A.home_visit, A.phone_call)
    assert suggested_actions(STARTS, "91-180") == (
        A.village_committee,
        A.first_secretary,
        A.home_visit,
    )
    last = (A.work_team, A.village_committee, A.first_secretary)
    assert suggested_actions(STARTS, "181+") == last
    assert suggested_actions(STARTS, "no such bucket") == last  # beyond: the last
    # more buckets than suggestions: the extra ones call for the last
    many = (1, 10, 20, 30, 40, 50)
    assert suggested_actions(many, "50+") == last
    assert suggested_actions(many, "1-9") == (A.phone_call,)


def test_clause_4_3_a_promise_is_within_ninety_days_and_kept_when_paid() -> None:
    today = date(2027, 3, 10)
    assert MAX_PROMISE_DAYS == 90
    assert promise_date_allowed(today, today)
    assert promise_date_allowed(today, today + timedelta(days=90))
    assert not promise_date_allowed(today, today + timedelta(days=91))
    assert not promise_date_allowed(today, today - timedelta(days=1))
    assert promise_outcome(Decimal("500.00"), Decimal("500.00")) is PromiseStatus.kept
    assert promise_outcome(Decimal("500.00"), Decimal("600.00")) is PromiseStatus.kept
    assert promise_outcome(Decimal("500.00"), Decimal("499.99")) is PromiseStatus.broken


@pytest.mark.parametrize(
    ("open_date", "months", "first_kept"),
    [
        (date(2027, 7, 1), 2, date(2027, 5, 1)),
        (date(2027, 7, 31), 0, date(2027, 7, 1)),
        (date(2027, 2, 15), 3, date(2026, 11, 1)),
        (date(2027, 1, 1), 12, date(2026, 1, 1)),
        (date(2027, 12, 5), 11, date(2027, 1, 1)),
    ],
)
def test_the_daily_detail_horizon(open_date: date, months: int, first_kept: date) -> None:
    assert daily_detail_from(open_date, months) == first_kept


def test_an_accrual_is_posted_on_the_days_of_its_period_only() -> None:
    start, end = date(2027, 3, 10), date(2027, 4, 10)
    amount = Decimal("43.50")
    days = [accrual_on(amount, start, end, start + timedelta(days=k)) for k in range(31)]
    assert sum(days) == amount and all(d >= 0 for d in days)
    assert accrual_on(amount, start, end, end) == 0
    assert accrual_on(amount, start, end, start - timedelta(days=1)) == 0


def test_the_words_a_refusal_carries() -> None:
    said = Said("中文", "English")
    assert (said.in_("en"), said.in_("zh"), said.in_("fr"), str(said)) == (
        "English",
        "中文",
        "中文",
        "English",
    )
    assert said + Said("。", ".") == Said("中文。", "English.")
    assert said_of(ValueError(said)) == said
    assert said_of(ValueError("plain")) == Said("plain", "plain")
    assert said_of(ValueError()) == Said("", "")
    error = LifecycleError(said, "not-reversible")
    assert (error.slug, said_of(error)) == ("not-reversible", said)
    assert LifecycleError(said).slug == "conflict"


def test_enum_codes_and_their_chinese_labels() -> None:
    assert label(LoanStatus.written_off) == labelled("LoanStatus", "written_off")
    assert labelled("LoanStatus", "active") != "active"
    assert labelled("LoanStatus", "no-such-code") == "no-such-code"
    assert labelled("NoSuchEnum", "active") == "active"
    assert code_of("LoanStatus", labelled("LoanStatus", "active")) == "active"
    assert code_of("LoanStatus", "active") == "active"
    assert code_of("Purpose", "种植", {"种植": "planting"}) == "planting"
    assert code_of("Purpose", "随便") == "随便"
    assert code_of("NoSuchEnum", "随便") == "随便"
    # an enum the table does not know, or a code it has no label for: the code itself
    unknown = StrEnum("Unlabelled", {"x": "x"})
    assert label(unknown("x")) == "x"
    stray = StrEnum("LoanStatus", {"ghost": "ghost"})  # named like one the table knows
    assert label(stray("ghost")) == "ghost"


def test_clause_2_1_an_exemption_case_moves_only_forward() -> None:
    S = CaseStatus
    assert may_move(S.opened, S.evidence_reviewed)
    assert not may_move(S.opened, S.decided)
    assert may_move(S.evidence_reviewed, S.decided)
    assert may_move(S.decided, S.appealed)
    assert may_move(S.appealed, S.final)
    assert not may_move(S.final, S.appealed)
    assert not may_move(S.decided, S.opened)
