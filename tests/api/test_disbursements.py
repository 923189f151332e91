"""Issue 15 (in part): disbursements that can be reconciled — their state and their
instruction's delivery, no instruction sent once answered, no value date ahead of the
county's business date."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest

from app.core.auth import Role
from app.core.clock import business_today
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
            "value_date": business_today().isoformat(),
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
    first = svc.active_loan(business_today())  # the county's calendar opens today
    second = svc.contracted_loan()
    disbursement_id = request_disbursement(svc, second["id"])
    ahead = confirm(
        svc, disbursement_id, value_date=(business_today() + timedelta(days=30)).isoformat()
    )
    assert_problem(ahead, 409)
    assert ahead.json()["type"].endswith("future-value-date")
    assert svc.loan(first["id"])["business_date"] == business_today().isoformat()
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
