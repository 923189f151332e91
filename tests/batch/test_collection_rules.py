"""The collection buckets: the domain's rule and the batch's SQL agree on every day, both sides
of every bucket's edge, for the default buckets and configured ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest

from app.domain.collections import (
    DEFAULT_BUCKET_STARTS,
    NO_TRANSITION,
    PromiseStatus,
    bucket_of,
    bucket_sql,
    next_review,
    next_review_sql,
    promise_date_allowed,
    promise_outcome,
    suggested_actions,
    valid_bucket_starts,
)


def test_default_buckets_at_their_edges() -> None:
    starts = DEFAULT_BUCKET_STARTS
    assert [bucket_of(starts, d) for d in (0, 1, 30, 31, 90, 91, 180, 181, 2000)] == [
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
    assert suggested_actions(starts, "181+")[0] == "work_team"
    assert suggested_actions(starts, "1-30") == ("phone_call",)


@pytest.mark.parametrize("starts", [DEFAULT_BUCKET_STARTS, (1, 8, 61), (1,)])
def test_the_batch_sql_is_the_domain_rule(database_url: str, starts: tuple[int, ...]) -> None:
    days = list(range(0, 400))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT d, {bucket_sql(starts, 'd')} FROM unnest(%s::int[]) d ORDER BY d", (days,)
        ).fetchall()
    assert [(d, bucket_of(starts, d)) for d in days] == [(d, b) for d, b in rows]


@pytest.mark.parametrize("starts", [DEFAULT_BUCKET_STARTS, (1, 8, 61), (1,)])
def test_a_case_is_looked_at_again_on_the_day_its_bucket_moves(
    database_url: str, starts: tuple[int, ...]
) -> None:
    """The batch looks at an open case on `next_review`: on that day, and on no day between, the
    bucket of a loan left as it is changes (the SQL gives the same day as the domain)."""
    day = date(2027, 3, 10)
    days = list(range(1, 400))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT d, {next_review_sql(starts, 'd', '%(day)s')} FROM unnest(%(days)s::int[]) d"
            " ORDER BY d",
            {"days": days, "day": day},
        ).fetchall()
    assert [(d, next_review(starts, d, day)) for d in days] == [(d, r) for d, r in rows]
    for dpd in days:
        review = next_review(starts, dpd, day)
        if review == NO_TRANSITION:
            assert bucket_of(starts, dpd + 5000) == bucket_of(starts, dpd)
            continue
        waited = (review - day).days
        assert bucket_of(starts, dpd + waited) != bucket_of(starts, dpd)
        assert all(bucket_of(starts, dpd + k) == bucket_of(starts, dpd) for k in range(waited))


def test_buckets_must_start_at_one_and_rise() -> None:
    for bad in ((), (0, 30), (1, 30, 30), (1, 90, 31)):
        with pytest.raises(ValueError, match="start at 1"):
            valid_bucket_starts(bad)


def test_a_promise_falls_due_from_today_to_90_days_on() -> None:
    today = date(2027, 3, 10)
    assert [promise_date_allowed(today, today + timedelta(days=d)) for d in (-1, 0, 90, 91)] == [
        False,
        True,
        True,
        False,
    ]


def test_a_promise_is_kept_by_its_amount_to_the_fen() -> None:
    assert promise_outcome(Decimal("500.00"), Decimal("500.00")) is PromiseStatus.kept
    assert promise_outcome(Decimal("500.00"), Decimal("499.99")) is PromiseStatus.broken


def test_a_changed_loan_marks_its_case_for_the_next_close_with_the_domain_s_date(
    database_url: str,
) -> None:
    """The trigger on loans (migration 0030) and the domain name the same day."""
    from app.domain.collections import REVIEW_AT_NEXT_CLOSE

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'bangfu_review_collection_case'"
        ).fetchone()
    assert row is not None
    assert f"DATE '{REVIEW_AT_NEXT_CLOSE.isoformat()}'" in row[0]
