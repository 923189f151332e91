"""Issue 15: corrections are reversals (冲正). A reversed repayment is undone by a new entry;
the loan then stands as a twin loan that never had the repayment stands — schedule, what is
overdue, days past due, class, interest and subsidy to the fen — and the repayment history
shows both entries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from app.core import clock
from app.core.auth import Role
from app.core.dbroles import with_role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem
from tests.api.test_servicing import ledger
from tests.conftest import SERVICE_ROLE
from tests.expected import equal_instalments

D = Decimal

# What a reversal may not change: the loan as its twin, never repaid, has it.
SAME = (
    "status",
    "principal_outstanding",
    "overdue_principal",
    "overdue_interest",
    "next_due_date",
    "days_past_due",
    "risk_class",
    "interest_accrued",
    "central_subsidy_to_date",
    "local_subsidy_to_date",
)


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("59")))


def reverse(
    svc: Servicing, loan_id: str, txn: str, reversal_txn: str | None = None
) -> httpx.Response:
    return svc.client.post(
        f"/v1/loans/{loan_id}/repayments/{txn}/reversal",
        headers=svc.core,
        json={
            "reversal_transaction_id": reversal_txn or f"REV-{uuid.uuid4()}",
            "reason": "posted to the wrong loan",
        },
    )


def the_same(svc: Servicing, loan_id: str, twin_id: str) -> None:
    loan, twin = svc.loan(loan_id), svc.loan(twin_id)
    assert {k: loan[k] for k in SAME} == {k: twin[k] for k in SAME}
    strip = ("status",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in svc.schedule(loan_id)] == [
        {k: v for k, v in r.items() if k not in strip} for r in svc.schedule(twin_id)
    ]


def twins(svc: Servicing, start: date) -> tuple[dict[str, Any], dict[str, Any]]:
    return svc.active_loan(start), svc.active_loan(start)


def test_an_instalment_paid_on_time_and_reversed_later_is_overdue_as_if_never_paid(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan, twin = twins(svc, start)
    first = equal_instalments(D("12000.00"), D("0.0435"), 12, start)[0]
    svc.close_through(first.due_date - timedelta(days=1))
    paid = svc.repay(loan["id"], f"{first.payment:.2f}", first.due_date, txn="CBS-ON-TIME")
    assert paid.status_code == 201, paid.text
    svc.close_through(first.due_date + timedelta(days=9))
    assert svc.loan(loan["id"])["days_past_due"] == 0
    assert svc.loan(twin["id"])["risk_class"] == "special_mention"

    reversed_ = reverse(svc, loan["id"], "CBS-ON-TIME", "CBS-REV-1")
    assert reversed_.status_code == 201, reversed_.text
    entry = reversed_.json()
    assert (entry["kind"], entry["reverses_id"], entry["amount"]) == (
        "reversal",
        paid.json()["id"],
        f"{-first.payment:.2f}",
    )
    # Penalty interest is not charged for the days between the posting and its reversal
    # (README); everything else is the twin's, subsidy for the overdue days included (1.6).
    the_same(svc, loan["id"], twin["id"])
    assert svc.loan(loan["id"])["penalty_outstanding"] == "0.00"
    assert (
        ledger(database_url, loan["id"])["central"] == ledger(database_url, twin["id"])["central"]
    )
    # from here on the batch treats both alike, penalty included
    svc.close_through(first.due_date + timedelta(days=20))
    later, later_twin = svc.loan(loan["id"]), svc.loan(twin["id"])
    assert {k: later[k] for k in SAME} == {k: later_twin[k] for k in SAME}
    daily = D(later_twin["penalty_outstanding"]) / 20
    assert D(later["penalty_outstanding"]) == daily * 11

    again = reverse(svc, loan["id"], "CBS-ON-TIME", "CBS-REV-1")
    assert (again.status_code, again.json()) == (200, entry)
    other = reverse(svc, loan["id"], "CBS-ON-TIME", "CBS-REV-2")
    assert_problem(other, 409)
    assert other.json()["type"].endswith("already-reversed")
    of_reversal = reverse(svc, loan["id"], "CBS-REV-1")
    assert_problem(of_reversal, 409)
    assert of_reversal.json()["type"].endswith("reversal-of-reversal")
    assert_problem(reverse(svc, loan["id"], "CBS-NEVER-POSTED"), 404)

    history = svc.client.get(f"/v1/loans/{loan['id']}/repayments", headers=svc.flow.officer)
    assert history.status_code == 200, history.text
    body = history.json()
    assert [(i["kind"], i["core_transaction_id"], i["reversed_by_id"]) for i in body["items"]] == [
        ("posting", "CBS-ON-TIME", entry["id"]),
        ("reversal", "CBS-REV-1", None),
    ]
    assert body["total_posted"] == "0.00"
    with psycopg.connect(database_url) as conn:
        (actions,) = conn.execute(
            "SELECT array_agg(action ORDER BY id) FROM audit_events WHERE entity_id = %s",
            (loan["id"],),
        ).fetchone()
    assert actions.count("loan.repayment_reversal") == 1


def test_a_reversed_prepayment_restores_the_schedule_and_the_interest_it_lowered(
    svc: Servicing, database_url: str
) -> None:
    start = clock.today()
    loan, twin = twins(svc, start)
    day = start + timedelta(days=10)
    svc.close_through(day - timedelta(days=1))
    prepaid = svc.repay(loan["id"], "5000.00", day, txn="CBS-PREPAY")
    assert prepaid.status_code == 201, prepaid.text
    svc.close_through(day + timedelta(days=40))  # across a due date, on the lower basis
    assert (
        ledger(database_url, loan["id"])["interest"] < ledger(database_url, twin["id"])["interest"]
    )

    assert reverse(svc, loan["id"], "CBS-PREPAY").status_code == 201
    the_same(svc, loan["id"], twin["id"])
    mine, theirs = ledger(database_url, loan["id"]), ledger(database_url, twin["id"])
    assert (mine["interest"], mine["central"], mine["local"]) == (
        theirs["interest"],
        theirs["central"],
        theirs["local"],
    )
    # the correction is an entry of its own, dated the county's business date: the next
    # claim shows it as an adjustment
    with psycopg.connect(database_url) as conn:
        kinds = conn.execute(
            "SELECT kind, business_date FROM accruals WHERE loan_id = %s AND kind <> 'daily'",
            (loan["id"],),
        ).fetchall()
    assert kinds == [("correction", day + timedelta(days=41))]
    svc.close_through(day + timedelta(days=70))
    mine, theirs = ledger(database_url, loan["id"]), ledger(database_url, twin["id"])
    assert mine["interest"] == theirs["interest"]


def test_a_reversed_payoff_reopens_the_loan(svc: Servicing, database_url: str) -> None:
    start = clock.today()
    loan, twin = twins(svc, start)
    day = start + timedelta(days=15)
    svc.close_through(day - timedelta(days=1))
    payoff = (D("12000.00") * D("0.0435") * 15 / 360).quantize(D("0.01"))
    paid = svc.repay(loan["id"], f"{D('12000.00') + payoff:.2f}", day, txn="CBS-PAYOFF")
    assert paid.status_code == 201, paid.text
    assert svc.loan(loan["id"])["status"] == "closed"
    svc.close_through(day + timedelta(days=3))
    assert reverse(svc, loan["id"], "CBS-PAYOFF").status_code == 201
    reopened = svc.loan(loan["id"])
    assert (reopened["status"], reopened["closed_on"]) == ("active", None)
    the_same(svc, loan["id"], twin["id"])
    assert (
        ledger(database_url, loan["id"])["interest"] == ledger(database_url, twin["id"])["interest"]
    )


def test_a_payoff_is_not_reversed_after_its_month_has_ended(svc: Servicing) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    day = start + timedelta(days=15)
    svc.close_through(day - timedelta(days=1))
    payoff = (D("12000.00") * D("0.0435") * 15 / 360).quantize(D("0.01"))
    paid = svc.repay(loan["id"], f"{D('12000.00') + payoff:.2f}", day, txn="CBS-OLD-PAYOFF")
    assert paid.status_code == 201, paid.text
    next_month = date(day.year + day.month // 12, day.month % 12 + 1, 2)
    svc.close_through(next_month)
    refused = reverse(svc, loan["id"], "CBS-OLD-PAYOFF")
    assert_problem(refused, 409)
    assert refused.json()["type"].endswith("not-reversible")
    assert svc.loan(loan["id"])["status"] == "closed"


def test_reversals_go_latest_first_and_stay_in_scope(svc: Servicing) -> None:
    start = clock.today()
    loan = svc.active_loan(start)
    assert svc.repay(loan["id"], "100.00", start, txn="CBS-FIRST").status_code == 201
    assert svc.repay(loan["id"], "200.00", start, txn="CBS-SECOND").status_code == 201
    blocked = reverse(svc, loan["id"], "CBS-FIRST")
    assert_problem(blocked, 409)
    assert blocked.json()["type"].endswith("later-repayments")
    assert "CBS-SECOND" in blocked.json()["detail"]
    elsewhere = headers(Role.core_banking, sub="core-elsewhere", regions=["11"])
    hidden = svc.client.post(
        f"/v1/loans/{loan['id']}/repayments/CBS-SECOND/reversal",
        headers=elsewhere,
        json={"reversal_transaction_id": "CBS-X", "reason": "x"},
    )
    assert_problem(hidden, 404)
    officer = svc.client.post(
        f"/v1/loans/{loan['id']}/repayments/CBS-SECOND/reversal",
        headers=svc.flow.officer,
        json={"reversal_transaction_id": "CBS-X", "reason": "x"},
    )
    assert_problem(officer, 403)
    assert reverse(svc, loan["id"], "CBS-SECOND").status_code == 201
    assert reverse(svc, loan["id"], "CBS-FIRST").status_code == 201
    assert svc.loan(loan["id"])["principal_outstanding"] == "12000.00"
    # a reversal's transaction id is core banking's, entered once
    reused = reverse(svc, loan["id"], "CBS-FIRST", "CBS-SECOND")
    assert_problem(reused, 409)


def test_a_posted_entry_cannot_be_edited_by_the_service(svc: Servicing, database_url: str) -> None:
    loan = svc.active_loan(clock.today())
    assert svc.repay(loan["id"], "100.00", clock.today(), txn="CBS-KEEP").status_code == 201
    service = with_role(database_url, SERVICE_ROLE)
    with psycopg.connect(service) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE repayments SET amount = 1 WHERE core_transaction_id = 'CBS-KEEP'")


def test_a_payoff_reversal_after_the_household_borrowed_again_is_kept_for_a_person(
    svc: Servicing,
) -> None:
    """Issue 25 finding 12: reopening the paid-off loan would give the household two
    outstanding loans (1.1). Core banking's reversal happened all the same: it is kept as a
    case for a person, not refused and lost."""
    flow = svc.flow
    start = clock.today()
    _, household = flow.ready_household()
    first = flow.approved_application(household, amount="12000.00")
    loan = flow.sign(first).json()["loan"]
    svc.disburse(loan["id"], start)
    day = start + timedelta(days=15)
    svc.close_through(day - timedelta(days=1))
    payoff = (D("12000.00") * D("0.0435") * 15 / 360).quantize(D("0.01"))
    paid = svc.repay(loan["id"], f"{D('12000.00') + payoff:.2f}", day, txn="CBS-PAID-OFF")
    assert paid.status_code == 201, paid.text
    again = flow.approved_application(household, amount="8000.00")
    second = flow.sign(again)
    assert second.status_code == 201, second.text  # the household borrows again
    kept = reverse(svc, loan["id"], "CBS-PAID-OFF", "CBS-REV-KEPT")
    assert kept.status_code == 202, kept.text
    case = kept.json()
    assert (case["repayment_id"], case["core_transaction_id"], case["settled_at"]) == (
        paid.json()["id"],
        "CBS-REV-KEPT",
        None,
    )
    assert "1.1" in case["conflict"]
    assert reverse(svc, loan["id"], "CBS-PAID-OFF", "CBS-REV-KEPT").json()["id"] == case["id"]
    assert svc.loan(loan["id"])["status"] == "closed"  # nothing was applied to the loans
    assert svc.loan(second.json()["loan"]["id"])["status"] == "contracted"
    risk = headers(Role.risk_manager, sub=f"risk-{flow.tag}", regions=[flow.region])
    listed = svc.client.get("/v1/reversal-cases", headers=risk).json()
    assert case["id"] in {c["id"] for c in listed}
    url = f"/v1/reversal-cases/{case['id']}/settlement"
    settled = svc.client.post(url, headers=risk, json={"settlement": "借款人另行归还，已入账"})
    assert settled.status_code == 200, settled.text
    assert settled.json()["settled_by"] == f"risk-{flow.tag}"
    assert_problem(svc.client.post(url, headers=risk, json={"settlement": "再次"}), 409)
    assert case["id"] not in {
        c["id"] for c in svc.client.get("/v1/reversal-cases", headers=risk).json()
    }
