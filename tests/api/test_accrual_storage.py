"""Issue 16: accrual storage that stays flat. At a month's end the batch writes each loan's
month-end totals, then deletes the county's daily accrual rows older than the retention
(ACCRUAL_DAILY_RETENTION_MONTHS, 2). Claims and statements read month-end totals and the
adjustments, which are kept: they give the same figures before and after the daily rows go."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from app.core import clock, db
from app.core.auth import Role
from app.core.settings import get_settings
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem

D = Decimal


@pytest.fixture()
def retention(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the retention for the app under test (it runs in this process)."""

    def keep(months: int) -> None:
        monkeypatch.setenv("ACCRUAL_DAILY_RETENTION_MONTHS", str(months))
        get_settings.cache_clear()

    yield keep
    os.environ.pop("BACKDATING_DAYS", None)
    monkeypatch.undo()
    get_settings.cache_clear()
    db.reset_engine()


def daily_rows(database_url: str, region: str) -> tuple[int, date | None, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE kind = 'daily'),"
            " min(business_date) FILTER (WHERE kind = 'daily'),"
            " count(*) FILTER (WHERE kind <> 'daily')"
            " FROM accruals WHERE region_code = %s",
            (region,),
        ).fetchone()
    assert row is not None
    return int(row[0]), row[1], int(row[2])


def claim(svc: Servicing, period: str) -> dict[str, Any]:
    reader = headers(Role.risk_manager, sub="finance", regions=[svc.flow.region])
    answer = svc.client.get("/v1/reports/subsidy-claims", params={"period": period}, headers=reader)
    assert answer.status_code == 200, answer.text
    (county,) = answer.json()["counties"]
    return dict(county)


def test_claims_are_the_same_before_and_after_the_daily_rows_go(
    client: httpx.Client, database_url: str, retention: Any
) -> None:
    svc = Servicing(Origination(client, region=own_county("54")))
    start = clock.today()
    kept, paid_off = svc.active_loan(start), svc.active_loan(start)
    retention(0)  # first, every daily row is kept
    # the loan pays its first two instalments on their due dates, then pays off in May: a
    # pay-off true-up (an adjustment) in the quarter
    for row in svc.schedule(paid_off["id"])[:2]:
        due = date.fromisoformat(row["due_date"])
        svc.close_through(due - timedelta(days=1))
        payment = D(row["principal_due"]) + D(row["interest_due"])
        assert svc.repay(paid_off["id"], f"{payment:.2f}", due).status_code == 201
    payoff_day = date(2027, 5, 17)
    svc.close_through(payoff_day - timedelta(days=1))
    outstanding = D(svc.loan(paid_off["id"])["principal_outstanding"])
    interest = (outstanding * D("0.0435") * 7 / 360).quantize(D("0.01"))
    paid = svc.repay(paid_off["id"], f"{outstanding + interest:.2f}", payoff_day)
    assert paid.status_code == 201, paid.text
    assert svc.loan(paid_off["id"])["status"] == "closed"
    svc.close_through(date(2027, 6, 30))
    before = claim(svc, "2027Q2")
    rows_before, first_before, adjustments = daily_rows(database_url, svc.flow.region)
    assert first_before == start and adjustments >= 1

    retention(2)
    svc.close_through(date(2027, 7, 31))  # July's end: the daily rows before June go
    rows_after, first_after, adjustments_after = daily_rows(database_url, svc.flow.region)
    assert first_after == date(2027, 6, 1)
    assert rows_after < rows_before
    assert adjustments_after == adjustments  # adjustments are kept for ever
    after = claim(svc, "2027Q2")
    assert after == before
    assert D(before["central_claimed"]) > 0
    assert any(D(line["central_adjustment"]) != 0 for line in before["lines"])
    # a loan's running totals never depended on the daily rows
    assert svc.loan(kept["id"])["interest_accrued"] > "0"


def test_a_correction_older_than_the_daily_detail_is_refused(
    client: httpx.Client, retention: Any
) -> None:
    retention(2)
    # a bank whose window for back-dated records reaches past the daily detail
    os.environ["BACKDATING_DAYS"] = "120"
    get_settings.cache_clear()
    svc = Servicing(Origination(client, region=own_county("54")))
    loan = svc.active_loan(clock.today())
    svc.close_through(date(2027, 6, 30))  # open on 1 July: daily rows are kept from 1 May
    late = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={
            "visited_on": "2027-04-15",
            "finding": "diverted_to_enterprise",
            "misused_amount": "1000.00",
        },
    )
    assert_problem(late, 409)
    assert late.json()["type"].endswith("before-daily-detail")
    recent = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={
            "visited_on": "2027-05-20",
            "finding": "diverted_to_enterprise",
            "misused_amount": "1000.00",
        },
    )
    assert recent.status_code == 201, recent.text
