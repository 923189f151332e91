"""Issue 15 (in part): disbursements that can be reconciled — their state and their
instruction's delivery, no instruction sent once answered, no value date ahead of the
county's business date."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest

from app.core import clock
from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("51")))


def request_disbursement(svc: Servicing, loan_id: str) -> str:
    requested = svc.client.post(
        f"/v1/loans/{loan_id}/disbursements",
        headers={**svc.flow.officer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert requested.status_code == 201, requested.text
    return str(requested.json()["id"])


def confirm(svc: Servicing, disbursement_id: str, **body: object) -> httpx.Response:
    return svc.client.post(
        f"/v1/disbursements/{disbursement_id}/confirmation",
        headers=svc.core,
        json={
            "status": "succeeded",
            "core_transaction_id": f"D-{uuid.uuid4()}",
            "value_date": clock.today().isoformat(),
            **body,
        },
    )


def test_an_answered_instruction_is_no_longer_sent(svc: Servicing, database_url: str) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    pending = svc.client.get(f"/v1/disbursements/{disbursement_id}", headers=svc.flow.officer)
    assert pending.status_code == 200, pending.text
    assert (pending.json()["status"], pending.json()["delivery_status"]) == (
        "requested",
        "pending",
    )
    answered = confirm(svc, disbursement_id, core_transaction_id="CBS-REF-0001")
    assert answered.status_code == 200, answered.text
    with psycopg.connect(database_url) as conn:
        status, payload = conn.execute(
            "SELECT status, payload FROM outbox WHERE idempotency_key = %s",
            (f"disbursement-{disbursement_id}",),
        ).fetchone()
    # the worker sends only pending instructions: a settled one is never sent again
    assert status == "settled" and "sealed" not in payload
    state = svc.client.get(f"/v1/disbursements/{disbursement_id}", headers=svc.flow.officer)
    assert {
        k: state.json()[k]
        for k in ("status", "core_transaction_id", "delivery_status", "delivery_attempts")
    } == {
        "status": "succeeded",
        "core_transaction_id": "CBS-REF-0001",
        "delivery_status": "settled",
        "delivery_attempts": 0,
    }
    listed = svc.client.get(f"/v1/loans/{loan['id']}/disbursements", headers=svc.flow.officer)
    assert [d["id"] for d in listed.json()] == [disbursement_id]
    view = svc.loan(loan["id"])
    assert view["disbursement"]["id"] == disbursement_id
    elsewhere = headers(Role.loan_officer, sub="officer-elsewhere", regions=["11"])
    assert_problem(svc.client.get(f"/v1/disbursements/{disbursement_id}", headers=elsewhere), 404)
    assert_problem(svc.client.get(f"/v1/loans/{loan['id']}/disbursements", headers=elsewhere), 404)


def test_a_failed_answer_settles_the_instruction_too(svc: Servicing, database_url: str) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    failed = confirm(
        svc,
        disbursement_id,
        status="failed",
        core_transaction_id=None,
        value_date=None,
        failure_reason="account closed",
    )
    assert failed.status_code == 200, failed.text
    with psycopg.connect(database_url) as conn:
        (status,) = conn.execute(
            "SELECT status FROM outbox WHERE idempotency_key = %s",
            (f"disbursement-{disbursement_id}",),
        ).fetchone()
    assert status == "settled"
    assert svc.loan(loan["id"])["status"] == "contracted"


def test_a_value_date_may_not_run_ahead_of_the_countys_business_date(svc: Servicing) -> None:
    first = svc.active_loan(clock.today())  # the county's calendar opens today
    second = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, second["id"])
    ahead = confirm(
        svc, disbursement_id, value_date=(clock.today() + timedelta(days=30)).isoformat()
    )
    assert_problem(ahead, 409)
    assert ahead.json()["type"].endswith("future-value-date")
    assert svc.loan(first["id"])["business_date"] == clock.today().isoformat()
    assert confirm(svc, disbursement_id).status_code == 200


def test_loans_are_found_by_core_bankings_reference(svc: Servicing) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    reference = f"CBS-{uuid.uuid4().hex[:12]}"
    assert confirm(svc, disbursement_id, core_transaction_id=reference).status_code == 200
    found = svc.client.get(
        "/v1/loans", params={"core_transaction_id": reference}, headers=svc.flow.officer
    ).json()["items"]
    assert [x["id"] for x in found] == [loan["id"]]
    none = svc.client.get(
        "/v1/loans", params={"core_transaction_id": "CBS-nothing"}, headers=svc.flow.officer
    ).json()["items"]
    assert none == []
    elsewhere = headers(Role.loan_officer, sub="officer-elsewhere", regions=["11"])
    hidden = svc.client.get(
        "/v1/loans", params={"core_transaction_id": reference}, headers=elsewhere
    ).json()["items"]
    assert hidden == []


def ask(svc: Servicing, disbursement_id: str, kind: str, who: dict[str, str]) -> httpx.Response:
    return svc.client.post(
        f"/v1/disbursements/{disbursement_id}/actions",
        headers=who,
        json={"kind": kind, "reason": "核心系统未回执"},
    )


def decide(
    svc: Servicing, disbursement_id: str, action_id: str, who: dict[str, str], outcome: str
) -> httpx.Response:
    return svc.client.post(
        f"/v1/disbursements/{disbursement_id}/actions/{action_id}/decision",
        headers=who,
        json={"outcome": outcome},
    )


def outbox(database_url: str, disbursement_id: str) -> tuple[str, dict[str, object], object]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, payload, next_attempt_at FROM outbox WHERE idempotency_key = %s",
            (f"disbursement-{disbursement_id}",),
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def second_officer(svc: Servicing) -> dict[str, str]:
    return headers(Role.loan_officer, sub="officer-two", regions=[svc.flow.region])


def test_a_cancelled_disbursement_returns_the_loan_and_a_late_answer_is_flagged(
    svc: Servicing, database_url: str
) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    asked = ask(svc, disbursement_id, "cancel", svc.flow.officer)
    assert asked.status_code == 201, asked.text
    action = asked.json()
    assert action["status"] == "requested" and action["requested_by"].startswith("officer-")
    assert_problem(ask(svc, disbursement_id, "resend", svc.flow.officer), 409)
    # maker-checker: the asker never decides
    same = decide(svc, disbursement_id, action["id"], svc.flow.officer, "approve")
    assert_problem(same, 409)
    assert same.json()["type"].endswith("maker-checker")
    assert svc.loan(loan["id"])["status"] == "disbursing"
    approved = decide(svc, disbursement_id, action["id"], second_officer(svc), "approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "approved",
        "officer-two",
    )
    assert svc.loan(loan["id"])["status"] == "contracted"
    status, payload, _ = outbox(database_url, disbursement_id)
    assert status == "cancelled" and "sealed" not in payload

    late = confirm(svc, disbursement_id, core_transaction_id="CBS-LATE-1")
    assert_problem(late, 409)
    assert late.json()["type"].endswith("disbursement-cancelled")
    state = svc.client.get(f"/v1/disbursements/{disbursement_id}", headers=svc.flow.officer)
    assert {
        k: state.json()[k]
        for k in ("status", "reconciliation", "reported_transaction_id", "delivery_status")
    } == {
        "status": "cancelled",
        "reconciliation": "confirmed_after_cancel",
        "reported_transaction_id": "CBS-LATE-1",
        "delivery_status": "cancelled",
    }
    assert svc.loan(loan["id"])["status"] == "contracted"
    # core banking paid the cancelled one: a second payout of the loan is refused until the
    # first is reconciled (two payouts for one loan otherwise)
    again = svc.client.post(
        f"/v1/loans/{loan['id']}/disbursements",
        headers={**svc.flow.officer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert assert_problem(again, 409)["type"].endswith("paid-after-cancel")  # type: ignore[union-attr]
    assert svc.loan(loan["id"])["status"] == "contracted"
    history = svc.client.get(
        f"/v1/disbursements/{disbursement_id}/actions", headers=svc.flow.officer
    ).json()
    assert [(a["kind"], a["status"]) for a in history] == [("cancel", "approved")]


def test_a_resend_delivers_the_same_instruction_again(svc: Servicing, database_url: str) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    with psycopg.connect(database_url) as conn:  # delivered for good, then no answer
        conn.execute(
            "UPDATE outbox SET status = 'failed', payload = payload - 'sealed',"
            " next_attempt_at = now() + interval '1 day' WHERE idempotency_key = %s",
            (f"disbursement-{disbursement_id}",),
        )
    action = ask(svc, disbursement_id, "resend", svc.flow.officer).json()
    # the application's reviewer took part in the loan (4.1): others decide
    refused = decide(svc, disbursement_id, action["id"], svc.flow.reviewer, "decline")
    assert str(assert_problem(refused, 409)["type"]).endswith("maker-checker")
    declined = decide(svc, disbursement_id, action["id"], second_officer(svc), "decline")
    assert declined.json()["status"] == "declined"
    assert outbox(database_url, disbursement_id)[0] == "failed"
    action = ask(svc, disbursement_id, "resend", svc.flow.officer).json()
    assert (
        decide(svc, disbursement_id, action["id"], svc.flow.second_reviewer, "approve").status_code
        == 200
    )
    status, payload, _ = outbox(database_url, disbursement_id)
    assert status == "pending" and "sealed" in payload
    assert payload["instruction_id"] == disbursement_id  # the same key: paid at most once
    assert svc.loan(loan["id"])["status"] == "disbursing"


def test_an_answered_disbursement_is_neither_resent_nor_cancelled(svc: Servicing) -> None:
    loan = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, loan["id"])
    action = ask(svc, disbursement_id, "cancel", svc.flow.officer).json()
    assert confirm(svc, disbursement_id).status_code == 200  # core banking answers meanwhile
    refused = decide(svc, disbursement_id, action["id"], second_officer(svc), "approve")
    assert_problem(refused, 409)
    assert svc.loan(loan["id"])["status"] == "active"
    assert_problem(ask(svc, disbursement_id, "resend", svc.flow.officer), 409)
    elsewhere = headers(Role.loan_officer, sub="officer-elsewhere", regions=["11"])
    assert_problem(ask(svc, disbursement_id, "cancel", elsewhere), 404)


def counted(svc: Servicing, name: str, outcome: str) -> float:
    admin = headers(Role.admin, sub="ops")
    text = svc.client.get("/metrics", headers=admin).text
    prefix = f'{name}{{outcome="{outcome}"}} '
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


def test_disbursements_and_repayments_are_counted_by_outcome(svc: Servicing) -> None:
    before = {o: counted(svc, "bangfu_disbursements_total", o) for o in ("requested", "succeeded")}
    posted = counted(svc, "bangfu_repayments_total", "posted")
    loan = svc.active_loan(clock.today())
    assert svc.repay(loan["id"], "100.00", clock.today()).status_code == 201
    assert counted(svc, "bangfu_disbursements_total", "requested") == before["requested"] + 1
    assert counted(svc, "bangfu_disbursements_total", "succeeded") == before["succeeded"] + 1
    assert counted(svc, "bangfu_repayments_total", "posted") == posted + 1
