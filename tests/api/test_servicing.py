"""Servicing to the fen over HTTP: disbursement, daily accrual with subsidy shares, on-time and
late payments with penalty, prepayment and payoff."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import psycopg
import pytest

from app.core import clock
from tests.api.factories import Origination, Servicing, own_county
from tests.api.test_foundation import assert_problem
from tests.expected import equal_instalments, half_up, subsidy_share

D = Decimal


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    # Each test has a county of its own, so its batch and business dates are its own.
    return Servicing(Origination(client, region=own_county("58")))


def ledger(
    database_url: str, loan_id: str, since: date | None = None, until: date | None = None
) -> dict[str, Decimal]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT COALESCE(sum(interest), 0), COALESCE(sum(central_subsidy), 0),"
            " COALESCE(sum(local_subsidy), 0), COALESCE(sum(borrower_interest), 0),"
            " COALESCE(sum(penalty), 0), count(*) FROM accruals WHERE loan_id = %s"
            " AND business_date >= COALESCE(%s, '-infinity'::date)"
            " AND business_date < COALESCE(%s, 'infinity'::date)",
            (loan_id, since, until),
        ).fetchone()
    assert row is not None
    keys = ("interest", "central", "local", "borrower", "penalty", "rows")
    return dict(zip(keys, row, strict=True))


def test_twelve_month_loan_paid_on_time_reconciles_to_the_fen(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    assert (loan["status"], loan["value_date"]) == ("active", start.isoformat())
    # The schedule Bangfu fixed, against the textbook annuity computed in tests/expected.py.
    expected = equal_instalments(D("12000.00"), D("0.0435"), 12, start)
    # 12,000 at 4.35%: payment 1,023.72 (12,000 × 0.003625 × 1.0444… / 0.0444…), first
    # month's interest 12,000 × 0.003625 = 43.50.
    assert (expected[0].payment, expected[0].interest) == (D("1023.72"), D("43.50"))
    rows = svc.schedule(loan["id"])
    assert [(r["due_date"], r["principal_due"], r["interest_due"]) for r in rows] == [
        (i.due_date.isoformat(), f"{i.principal:.2f}", f"{i.interest:.2f}") for i in expected
    ]

    first_three = expected[:3]
    remaining = D("12000.00")
    for instalment in expected:
        svc.close_through(instalment.due_date - timedelta(days=1))
        if instalment.number == 3:
            # A quarter of daily batches: interest and both subsidies equal the schedule's. (The
            # loan's running totals: the daily rows of months before the last two are rolled up
            # into month-end totals and deleted by then; see test_accrual_storage.py.)
            quarter = svc.loan(loan["id"])
            assert D(quarter["interest_accrued"]) == sum(i.interest for i in first_three)
            # all 12,000 is subsidised: central 2.5 and local 1 of the 4.35 points
            assert D(quarter["central_subsidy_to_date"]) == sum(
                subsidy_share(i.interest, D("0.025"), D("0.0435")) for i in first_three
            )
            assert D(quarter["local_subsidy_to_date"]) == sum(
                subsidy_share(i.interest, D("0.01"), D("0.0435")) for i in first_three
            )
            kept = ledger(database_url, loan["id"])
            assert kept["borrower"] == kept["interest"] - kept["central"] - kept["local"]
        paid = svc.repay(loan["id"], f"{instalment.payment:.2f}", instalment.due_date)
        assert paid.status_code == 201, paid.text
        assert paid.json()["interest_due"] == f"{instalment.interest:.2f}"
        assert paid.json()["principal_due"] == f"{instalment.principal:.2f}"
        remaining -= instalment.principal
        if instalment.number < 12:
            svc.close_through(instalment.due_date)
            state = svc.loan(loan["id"])
            assert (state["days_past_due"], state["risk_class"]) == (0, "normal")
            assert state["principal_outstanding"] == f"{remaining:.2f}"
    final = svc.loan(loan["id"])
    assert (final["status"], final["principal_outstanding"], final["closed_on"]) == (
        "closed",
        "0.00",
        expected[-1].due_date.isoformat(),
    )
    assert D(final["interest_accrued"]) == sum(i.interest for i in expected)
    assert D(final["penalty_accrued"]) == 0
    assert all(r["status"] == "paid" for r in svc.schedule(loan["id"]))


def test_late_payment_accrues_penalty_and_risk_class(svc: Servicing, database_url: str) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    first = equal_instalments(D("12000.00"), D("0.0435"), 12, start)[0]
    late_by = 10
    svc.close_through(first.due_date + timedelta(days=late_by - 1))
    overdue = svc.loan(loan["id"])
    assert overdue["days_past_due"] == late_by - 1
    assert overdue["risk_class"] == "special_mention"
    assert overdue["overdue_principal"] == f"{first.principal:.2f}"
    assert overdue["overdue_interest"] == f"{first.interest:.2f}"
    # Penalty: overdue principal × 4.35% × 1.5 / 360 per day, for each day past due.
    daily = half_up(first.principal * D("0.0435") * D("1.5") / 360)
    assert overdue["penalty_outstanding"] == f"{daily * (late_by - 1):.2f}"
    owed = D(overdue["penalty_outstanding"]) + first.payment
    paid_day = first.due_date + timedelta(days=late_by)
    too_much = svc.repay(loan["id"], f"{owed + D('20000'):.2f}", paid_day)
    assert_problem(too_much, 409)
    paid = svc.repay(loan["id"], f"{owed:.2f}", paid_day)
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert (body["penalty"], body["overdue_interest"], body["overdue_principal"]) == (
        f"{daily * (late_by - 1):.2f}",
        f"{first.interest:.2f}",
        f"{first.principal:.2f}",
    )
    svc.close_through(paid_day)
    cured = svc.loan(loan["id"])
    assert (cured["days_past_due"], cured["risk_class"], cured["penalty_outstanding"]) == (
        0,
        "normal",
        "0.00",
    )
    penalties = ledger(database_url, loan["id"])["penalty"]
    assert penalties == daily * (late_by - 1)
    with psycopg.connect(database_url) as conn:
        changes = conn.execute(
            "SELECT from_class, to_class FROM risk_class_changes WHERE loan_id = %s ORDER BY id",
            (loan["id"],),
        ).fetchall()
    assert changes == [("normal", "special_mention"), ("special_mention", "normal")]


def test_partial_prepayment_reamortises_over_the_same_term(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    rows = svc.schedule(loan["id"])
    day = start + timedelta(days=10)
    svc.close_through(day - timedelta(days=1))
    paid = svc.repay(loan["id"], "5000.00", day)
    assert paid.status_code == 201, paid.text
    body = paid.json()
    prepaid, interest = D(body["prepaid_principal"]), D(body["prepayment_interest"])
    # X + X × 4.35% × 10 / 360 = 5,000: X = 5,000 / 1.0012083… = 4,993.9656… → 4,993.97, and
    # the interest to the value date is the rest, 6.03 (4,993.97 × 0.0012083 = 6.0344).
    assert (prepaid, interest) == (D("4993.97"), D("6.03"))
    after = svc.schedule(loan["id"])
    assert len(after) == 12 and after[-1]["due_date"] == rows[-1]["due_date"]
    assert sum(D(r["principal_due"]) for r in after) == D("12000.00") - prepaid
    assert svc.loan(loan["id"])["principal_outstanding"] == f"{D('12000.00') - prepaid:.2f}"
    # The first period still accrues exactly what it charges: the old balance up to the
    # prepayment, then the new one.
    first_due = date.fromisoformat(after[0]["due_date"])
    svc.close_through(first_due - timedelta(days=1))
    period = ledger(database_url, loan["id"], until=first_due)
    assert period["interest"] == D(after[0]["interest_due"]) + D(after[0]["prepaid_interest"])
    assert D(after[0]["prepaid_interest"]) == interest
    assert period["central"] == D(after[0]["central_subsidy"])


def test_full_repayment_closes_the_loan_and_trues_up_accrual(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    day = start + timedelta(days=15)
    svc.close_through(day - timedelta(days=1))
    payoff_interest = (D("12000.00") * D("0.0435") * 15 / 360).quantize(D("0.01"))
    too_much = svc.repay(loan["id"], f"{D('12000.00') + payoff_interest + D('0.01'):.2f}", day)
    assert_problem(too_much, 409)
    paid = svc.repay(loan["id"], f"{D('12000.00') + payoff_interest:.2f}", day)
    assert paid.status_code == 201, paid.text
    closed = svc.loan(loan["id"])
    assert (closed["status"], closed["closed_on"], closed["principal_outstanding"]) == (
        "closed",
        day.isoformat(),
        "0.00",
    )
    total = ledger(database_url, loan["id"])
    assert total["interest"] == payoff_interest == D(closed["interest_accrued"])
    svc.close_through(day + timedelta(days=5))
    assert ledger(database_url, loan["id"])["interest"] == payoff_interest


def test_repayments_are_idempotent_on_the_core_transaction_id(svc: Servicing) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    txn = f"CBS-{uuid.uuid4()}"
    first = svc.repay(loan["id"], "100.00", start, txn=txn)
    again = svc.repay(loan["id"], "100.00", start, txn=txn)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (
        svc.loan(loan["id"])["principal_outstanding"]
        == f"{D('12000') - D(first.json()['prepaid_principal']):.2f}"
    )
    assert_problem(svc.repay(loan["id"], "200.00", start, txn=txn), 409)


def test_repayment_value_date_must_be_the_open_business_date(svc: Servicing) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    svc.close_through(start + timedelta(days=3))
    body = assert_problem(svc.repay(loan["id"], "10.00", start + timedelta(days=1)), 409)
    assert "当前营业日" in str(body["detail"])
    assert svc.repay(loan["id"], "10.00", start + timedelta(days=4)).status_code == 201


def test_disbursement_failure_and_duplicate_confirmations(svc: Servicing) -> None:
    loan = svc.contracted_loan()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    requested = svc.client.post(
        f"/v1/loans/{loan['id']}/disbursements", headers={**svc.flow.officer, **key}
    )
    replay = svc.client.post(
        f"/v1/loans/{loan['id']}/disbursements", headers={**svc.flow.officer, **key}
    )
    assert replay.json() == requested.json()
    assert_problem(
        svc.client.post(f"/v1/loans/{loan['id']}/disbursements", headers=svc.flow.officer), 422
    )
    failure = {"status": "failed", "failure_reason": "account frozen"}
    url = f"/v1/disbursements/{requested.json()['id']}/confirmation"
    assert svc.client.post(url, headers=svc.core, json=failure).json()["status"] == "failed"
    assert svc.client.post(url, headers=svc.core, json=failure).status_code == 200
    assert svc.loan(loan["id"])["status"] == "contracted"
    success = {
        "status": "succeeded",
        "core_transaction_id": "X1",
        "value_date": clock.today().isoformat(),
    }
    assert_problem(svc.client.post(url, headers=svc.core, json=success), 409)
    assert_problem(svc.client.post(url, headers=svc.flow.officer, json=success), 403)
    second = svc.disburse(loan["id"], clock.today())
    assert second["status"] == "succeeded"
    assert svc.loan(loan["id"])["status"] == "active"


def test_eod_rerun_changes_nothing_and_future_dates_need_simulation(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    first = svc.close_through(start + timedelta(days=5))
    assert first["region_days"] == 6
    before = ledger(database_url, loan["id"])
    again = svc.close_through(start + timedelta(days=5))
    assert again["region_days"] == 0
    assert ledger(database_url, loan["id"]) == before


def test_loans_list_filters_and_scope(svc: Servicing, client: httpx.Client) -> None:
    active = svc.active_loan(clock.today())
    contracted = svc.contracted_loan()
    reader = svc.flow.reviewer
    page = client.get(
        "/v1/loans", params={"region": svc.flow.region, "status": "active"}, headers=reader
    ).json()
    assert [loan["id"] for loan in page["items"]] == [active["id"]]
    both = client.get(
        "/v1/loans", params={"region": svc.flow.region, "limit": 1}, headers=reader
    ).json()
    assert len(both["items"]) == 1 and both["next_cursor"]
    rest = client.get(
        "/v1/loans",
        params={"region": svc.flow.region, "limit": 1, "cursor": both["next_cursor"]},
        headers=reader,
    ).json()
    assert {both["items"][0]["id"], rest["items"][0]["id"]} == {active["id"], contracted["id"]}
    normal = client.get(
        "/v1/loans", params={"region": svc.flow.region, "risk_class": "normal"}, headers=reader
    ).json()
    assert len(normal["items"]) == 2
    outsider = headers_for_region("11")
    assert (
        client.get("/v1/loans", params={"region": svc.flow.region}, headers=outsider).json()[
            "items"
        ]
        == []
    )
    assert_problem(client.get(f"/v1/loans/{active['id']}", headers=outsider), 404)


def headers_for_region(prefix: str) -> dict[str, str]:
    from app.core.auth import Role
    from tests.api.factories import headers

    return headers(Role.credit_reviewer, sub="elsewhere", regions=[prefix])


def test_one_batch_call_closes_a_bounded_number_of_days(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.settings import get_settings

    svc.active_loan(clock.today())
    monkeypatch.setattr(get_settings(), "eod_max_days_per_run", 30)
    too_far = svc.client.post(
        "/v1/batches/eod",
        headers=svc.admin,
        json={
            "business_date": (clock.today() + timedelta(days=30)).isoformat(),
            "regions": [svc.flow.region],
        },
    )
    assert "EOD_MAX_DAYS_PER_RUN" in assert_problem(too_far, 409)["detail"]
    assert svc.close_through(clock.today() + timedelta(days=29))["region_days"] == 30


def test_the_batch_purges_expired_idempotency_answers(svc: Servicing, database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO idempotency_keys (caller, key, request_hash, method, path, status_code,"
            " response_headers, response_body, created_at) VALUES ('old', %s, 'h', 'POST', '/',"
            " 201, '{}', '', now() - interval '25 hours'), ('old', %s, 'h', 'POST', '/', 201,"
            " '{}', '', now())",
            ("expired", "fresh"),
        )
    svc.active_loan(clock.today())
    svc.close_through(clock.today())
    with psycopg.connect(database_url) as conn:
        left = {r[0] for r in conn.execute("SELECT key FROM idempotency_keys WHERE caller = 'old'")}
    assert left == {"fresh"}
