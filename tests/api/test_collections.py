"""Collections (notice 4.3): a loan falls overdue → the batch opens its case → the officer
acts with the village organisations and takes a promise → the promise is broken → the case
escalates → the loan pays up and the case closes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem


def case_of(client: httpx.Client, loan_id: str, who: dict[str, str]) -> dict[str, Any] | None:
    found = client.get(
        "/v1/collection-cases", params={"loan_id": loan_id, "status": "all"}, headers=who
    )
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert len(items) <= 1
    return items[0] if items else None


def queue(client: httpx.Client, who: dict[str, str]) -> dict[str, list[str]]:
    answer = client.get("/v1/collections/work-queue", headers=who)
    assert answer.status_code == 200, answer.text
    return {i["case"]["id"]: i["reasons"] for i in answer.json()["items"]}


def test_an_overdue_loan_s_case_from_opening_to_closing(client: httpx.Client) -> None:
    flow = Origination(client, region=own_county("53"))
    svc = Servicing(flow)
    start = date(2027, 3, 10)
    loan = svc.active_loan(start)
    first = svc.schedule(loan["id"])[0]
    due = date.fromisoformat(first["due_date"])

    svc.close_through(due)
    assert case_of(client, loan["id"], flow.officer) is None  # due, not yet past due: no case
    svc.close_through(due + timedelta(days=1))
    case = case_of(client, loan["id"], flow.officer)
    assert case is not None, "the first day past due opens a case"
    assert case["opened_on"] == (due + timedelta(days=1)).isoformat()
    assert (case["bucket"], case["days_past_due"]) == ("1-30", 1)
    assert case["officer"] == f"officer-{flow.tag}"
    assert case["suggested_actions"] == ["phone_call"]
    assert Decimal(case["overdue_principal"]) > 0
    assert queue(client, flow.officer)[case["id"]] == ["no_action_yet"]
    # the county's view and its 4.3 alert read the same figures
    view = client.get(f"/v1/collections/counties/{flow.region}", headers=flow.officer).json()
    region = client.get(f"/v1/regions/{flow.region}", headers=flow.officer).json()
    assert view["overdue_ratio"] == region["figures"]["overdue_ratio"]
    assert Decimal(view["overdue_ratio"]) > 0
    assert view["overdue_growth"] == region["figures"]["overdue_ratio_change_month"]
    assert (view["alert"], view["reasons"]) == (region["alert"], region["reasons"])
    assert view["open_cases"] == {"1-30": 1} and view["cases_never_acted_on"] == 1
    opened = date.fromisoformat(case["opened_on"])
    today = svc.loan(loan["id"])["business_date"]

    # the officer goes with the village committee; the borrower is ill and promises to pay
    url = f"/v1/collection-cases/{case['id']}"
    action = client.post(
        f"{url}/actions",
        headers=flow.officer,
        json={
            "kind": "village_committee",
            "participants": [
                {"role": "borrower", "name": "张三"},
                {"role": "village_committee", "name": "李书记"},
            ],
            "findings": ["illness", "willing_to_pay"],
            "notes": "户主住院，家属表示十日内还款",
            "next_step": "十日后电话回访",
            "next_action_on": (date.fromisoformat(today) + timedelta(days=10)).isoformat(),
        },
    )
    assert action.status_code == 201, action.text
    assert action.json()["actions"][0]["findings"] == ["illness", "willing_to_pay"]
    assert case["id"] not in queue(client, flow.officer)  # acted on, nothing due
    promised_on = date.fromisoformat(today) + timedelta(days=5)
    promise = client.post(
        f"{url}/promises",
        headers=flow.officer,
        json={"promised_on": promised_on.isoformat(), "amount": first["principal_due"]},
    )
    assert promise.status_code == 201, promise.text
    # refused: a promise in the past and an action before the case opened (409: well-formed,
    # wrong for this case), a reviewer recording (403)
    assert_problem(
        client.post(
            f"{url}/promises",
            headers=flow.officer,
            json={"promised_on": (opened - timedelta(days=1)).isoformat(), "amount": "1.00"},
        ),
        409,
    )
    assert_problem(
        client.post(
            f"{url}/actions",
            headers=flow.officer,
            json={
                "kind": "phone_call",
                "taken_on": (opened - timedelta(days=1)).isoformat(),
                "participants": [{"role": "borrower", "name": "张三"}],
                "notes": "x",
            },
        ),
        409,
    )
    assert_problem(
        client.post(f"{url}/actions", headers=flow.reviewer, json={"kind": "phone_call"}), 403
    )
    elsewhere = headers(Role.loan_officer, sub="officer-far", regions=[own_county("52")])
    assert_problem(client.get(url, headers=elsewhere), 404)

    # nothing is paid: the day after the promised date the batch finds it broken
    svc.close_through(promised_on)
    judged = client.get(url, headers=flow.officer).json()["promises"][0]
    assert (judged["status"], judged["paid"]) == ("broken", "0.00")
    assert queue(client, flow.officer)[case["id"]][0] == "broken_promise"

    # a month on, the case has moved to the next bucket
    svc.close_through(due + timedelta(days=31))
    escalated = client.get(url, headers=flow.officer).json()
    assert escalated["bucket"] == "31-90" and escalated["days_past_due"] >= 31
    assert escalated["suggested_actions"][0] == "home_visit"
    assert "escalated" in queue(client, flow.officer)[case["id"]]

    # the borrower pays all that is overdue: at the day's end the case closes
    position = svc.loan(loan["id"])
    owed = (
        Decimal(position["overdue_principal"])
        + Decimal(position["overdue_interest"])
        + Decimal(position["penalty_outstanding"])
    )
    paid = svc.repay(loan["id"], str(owed), date.fromisoformat(position["business_date"]))
    assert paid.status_code in (200, 201), paid.text
    svc.close_through(date.fromisoformat(position["business_date"]))
    closed = client.get(url, headers=flow.officer).json()
    assert closed["closed_on"] == position["business_date"]
    assert closed["close_reason"] == "current"
    assert case["id"] not in queue(client, flow.officer)
    assert_problem(
        client.post(
            f"{url}/actions",
            headers=flow.officer,
            json={
                "kind": "phone_call",
                "participants": [{"role": "borrower", "name": "张三"}],
                "notes": "x",
            },
        ),
        409,
    )
