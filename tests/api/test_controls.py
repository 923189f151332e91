"""Issue 25's audit findings, each replayed over HTTP: no single person and no feature walks
around the four-eyes controls (one decision mechanism, independence over the whole chain,
decisions against the current state)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_after_disbursement import (
    pay_interest_to_maturity,
    renew,
    request,
    short_loan,
)
from tests.api.test_foundation import assert_problem

D = Decimal


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("56")))


def slug(response: httpx.Response) -> str:
    return str(assert_problem(response, 409)["type"]).rsplit(":", 1)[-1]


def pending_of(svc: Servicing, loan_id: str, who: dict[str, str]) -> list[dict[str, Any]]:
    inbox = svc.client.get("/v1/decisions", params={"loan_id": loan_id}, headers=who)
    return list(inbox.json()["items"])


def test_finding_1_loss_beyond_the_days_past_due_is_two_peoples_call_and_neither_writes_it_off(
    svc: Servicing,
) -> None:
    loan = svc.active_loan(clock.today())
    url = f"/v1/loans/{loan['id']}/risk-class"
    region = [svc.flow.region]
    risk = headers(Role.risk_manager, sub=f"risk-1-{svc.flow.tag}", regions=region)
    bare = svc.client.put(url, headers=risk, json={"risk_class": "loss", "reason": "借款人失联"})
    assert assert_problem(bare, 409)["rules"][0]["code"] == "class_override_evidence"  # type: ignore[index]
    asked = svc.client.put(
        url,
        headers=risk,
        json={"risk_class": "loss", "reason": "借款人失联", "evidence": ["村委会证明"]},
    )
    assert asked.status_code == 202, asked.text
    assert svc.loan(loan["id"])["risk_class"] == "normal"  # nothing changes on asking
    decision = f"{asked.headers['location']}/decision"
    assert slug(svc.client.post(decision, headers=risk, json={"outcome": "approve"})) == (
        "maker-checker"
    )
    second = headers(Role.risk_manager, sub=f"risk-2-{svc.flow.tag}", regions=region)
    assert svc.client.post(decision, headers=second, json={"outcome": "approve"}).status_code == 200
    assert svc.loan(loan["id"])["risk_class"] == "loss"
    proposed = svc.client.post(
        f"/v1/loans/{loan['id']}/write-offs",
        headers=svc.flow.officer,
        json={"grounds": "loss_class", "reason": "失联", "evidence": ["村委会证明"]},
    )
    assert proposed.status_code == 201, proposed.text
    write_off = f"/v1/write-offs/{proposed.json()['id']}/decision"
    for took_part in (risk, second):  # who asked the class, who confirmed it
        alone = svc.client.post(write_off, headers=took_part, json={"outcome": "approve"})
        assert slug(alone) == "maker-checker"
    assert svc.loan(loan["id"])["status"] == "active"
    third = headers(Role.risk_manager, sub=f"risk-3-{svc.flow.tag}", regions=region)
    assert svc.client.post(write_off, headers=third, json={"outcome": "approve"}).status_code == 200
    assert svc.loan(loan["id"])["status"] == "written_off"


def test_finding_3_an_officer_before_a_reassignment_stays_involved(svc: Servicing) -> None:
    flow = svc.flow
    _, household = flow.ready_household()
    application = flow.apply(household).json()
    assert flow.investigate(application["id"]).status_code == 201
    colleague = Origination(flow.client, region=flow.region)
    colleague.ready_household()  # a known loan officer
    branch = headers(Role.credit_reviewer, sub=f"branch-{flow.tag}", regions=[flow.region])
    asked = svc.client.post(
        "/v1/officer-reassignments",
        headers=branch,
        json={
            "from_officer": f"officer-{flow.tag}",
            "to_officer": f"officer-{colleague.tag}",
            "reason": "调岗",
        },
    )
    assert asked.status_code == 201, asked.text
    manager = headers(Role.risk_manager, sub=f"mgr-{flow.tag}", regions=[flow.region])
    moved = svc.client.post(
        f"/v1/officer-reassignments/{asked.json()['id']}/decision",
        headers=manager,
        json={"outcome": "approve"},
    )
    assert moved.status_code == 200, moved.text
    # the first officer, also a reviewer, may not decide the file they held
    former = headers(Role.credit_reviewer, sub=f"officer-{flow.tag}", regions=[flow.region])
    body = {
        "decision": {
            "outcome": "approve",
            "amount": "10000.00",
            "term_months": 12,
            "annual_rate": "0.0345",
            "repayment_method": "equal_installment",
        }
    }
    refused = svc.client.post(
        f"/v1/applications/{application['id']}/decision", headers=former, json=body
    )
    assert slug(refused) == "maker-checker"


def test_finding_3_whoever_approved_the_application_does_not_sign_it(svc: Servicing) -> None:
    flow = svc.flow
    _, household = flow.ready_household()
    application_id = flow.approved_application(household)
    approver = headers(Role.loan_officer, sub=f"reviewer-{flow.tag}", regions=[flow.region])
    signed = svc.client.post(
        f"/v1/applications/{application_id}/contract", json={}, headers=approver
    )
    assert slug(signed) == "maker-checker"
    assert flow.sign(application_id).status_code == 201  # the officer signs


def test_finding_9_a_pending_extension_is_withdrawn_when_the_loan_is_paid_off(
    svc: Servicing,
) -> None:
    loan = short_loan(svc)
    svc.close_through(clock.today() + timedelta(days=10))
    asked = request(svc, loan["id"], "extension", months=3)
    assert asked.status_code == 201, asked.text
    (waiting,) = pending_of(svc, loan["id"], svc.flow.second_reviewer)
    assert (waiting["kind"], waiting["may_decide"]) == ("extension", True)
    # the requesting officer's own inbox says it is not theirs to decide
    (own,) = pending_of(svc, loan["id"], svc.flow.officer)
    assert own["may_decide"] is False
    day = clock.today() + timedelta(days=11)
    probe = svc.repay(loan["id"], "999999.00", day)
    owed = Decimal(probe.json()["detail"].split("（")[1].split("）")[0])
    assert svc.repay(loan["id"], f"{owed:.2f}", day).status_code == 201
    assert svc.loan(loan["id"])["status"] == "closed"
    decided = svc.client.post(
        f"/v1/decisions/{waiting['id']}/decision",
        headers=svc.flow.second_reviewer,
        json={"outcome": "approve"},
    )
    assert slug(decided) == "already-decided"
    record = svc.client.get(f"/v1/decisions/{waiting['id']}", headers=svc.flow.second_reviewer)
    assert record.json()["status"] == "withdrawn" and "closed" in record.json()["note"]
    assert pending_of(svc, loan["id"], svc.flow.second_reviewer) == []
    queue = svc.client.get(
        "/v1/chain-requests",
        params={"loan_id": loan["id"], "status": "any"},
        headers=svc.flow.second_reviewer,
    ).json()["items"]
    assert [r["status"] for r in queue] == ["withdrawn"]


def test_an_extension_is_decided_at_the_one_endpoint_by_its_deciding_role(svc: Servicing) -> None:
    loan = svc.active_loan(clock.today())
    svc.close_through(clock.today() + timedelta(days=10))
    assert request(svc, loan["id"], "extension", months=3).status_code == 201
    (waiting,) = pending_of(svc, loan["id"], svc.flow.second_reviewer)
    url = f"/v1/decisions/{waiting['id']}/decision"
    # a role that does not decide extensions: 403, whoever it is
    risk = headers(Role.risk_manager, sub=f"risk-x-{svc.flow.tag}", regions=[svc.flow.region])
    forbidden = svc.client.post(url, headers=risk, json={"outcome": "approve"})
    assert forbidden.status_code == 403
    approved = svc.client.post(url, headers=svc.flow.second_reviewer, json={"outcome": "approve"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert svc.loan(loan["id"])["extension_months"] == 3


def test_finding_2_exemption_independence_is_read_over_the_whole_chain_at_each_step(
    svc: Servicing,
) -> None:
    """On a renewed loan, the first loan's reviewer, the renewal's decider and the risk manager
    who set the class took part: none of them reviews or decides the exemption case."""
    flow = svc.flow
    first = short_loan(svc)
    pay_interest_to_maturity(svc, first["id"])
    renewed = renew(svc, first["id"])
    risk = headers(Role.risk_manager, sub=f"risk-c-{flow.tag}", regions=[flow.region])
    classed = svc.client.put(
        f"/v1/loans/{renewed['id']}/risk-class",
        headers=risk,
        json={"risk_class": "substandard", "reason": "经营停滞"},
    )
    assert classed.status_code == 200, classed.text
    opened = svc.client.post(
        f"/v1/loans/{renewed['id']}/exemption-cases",
        headers=flow.officer,
        json={"claimed_situations": ["natural_disaster"], "statement": "洪灾冲毁养殖场"},
    )
    assert opened.status_code == 201, opened.text
    url = f"/v1/exemption-cases/{opened.json()['id']}"
    for took_part in (f"reviewer-{flow.tag}", f"reviewer-2-{flow.tag}", f"risk-c-{flow.tag}"):
        member = headers(Role.exemption_committee, sub=took_part, regions=[flow.region])
        refused = svc.client.post(f"{url}/review", headers=member, json={"notes": "看过"})
        assert slug(refused) == "maker-checker", took_part
    outsider = headers(Role.exemption_committee, sub=f"cmte-{flow.tag}", regions=[flow.region])
    reviewed = svc.client.post(f"{url}/review", headers=outsider, json={"notes": "资料齐全"})
    assert reviewed.status_code == 200, reviewed.text
    # someone who takes part after the case opened is refused at the next step (not frozen)
    late = headers(Role.risk_manager, sub=f"cmte-{flow.tag}", regions=[flow.region])
    acted = svc.client.put(
        f"/v1/loans/{renewed['id']}/risk-class",
        headers=late,
        json={"risk_class": "substandard", "reason": "复核"},
    )
    assert acted.status_code == 200, acted.text
    decided = svc.client.post(
        f"{url}/decision",
        headers=outsider,
        json={"outcome": "exempt", "situations": ["natural_disaster"], "reasons": "灾情属实"},
    )
    assert slug(decided) == "maker-checker"


def test_finding_11_wording_of_diversion_is_shown_and_must_be_acknowledged(
    svc: Servicing,
) -> None:
    """The purpose code passes (other production); the free text says the money buys shares in
    a company for dividends (1.8, 户贷企用): not a refusal, but a warning the reviewer reads and
    names in the approval, which the decision keeps."""
    flow = svc.flow
    _, household = flow.ready_household()
    submitted = flow.apply(
        household,
        amount="20000.00",
        purpose="other_production",
        purpose_detail="资金入股本村XX农业有限公司，按年分红",
    )
    assert submitted.status_code == 201, submitted.text
    (warning,) = submitted.json()["warnings"]
    assert (warning["code"], warning["clause"], warning["level"], warning["passed"]) == (
        "diversion_wording",
        "1.8",
        "warning",
        False,
    )
    assert "入股" in warning["message"] and "分红" in warning["message"]
    application_id = submitted.json()["id"]
    assert flow.investigate(application_id).status_code == 201
    terms = {"amount": "20000.00"}
    unread = flow.approve(application_id, **terms)
    assert slug(unread) == "unacknowledged-warning"
    assert unread.json()["rules"][0]["code"] == "diversion_wording"
    read = flow.approve(application_id, **terms, acknowledged=["diversion_wording"])
    assert read.status_code == 200, read.text
    (decided,) = svc.client.get(
        "/v1/decisions",
        params={"application_id": application_id, "status": "approved"},
        headers=flow.reviewer,
    ).json()["items"]
    assert decided["summary"]["acknowledged"] == ["diversion_wording"]
    # plain wording shows the rule passed, and nothing to acknowledge
    _, other = flow.ready_household()
    plain = flow.apply(other, amount="20000.00").json()
    assert [(w["code"], w["passed"]) for w in plain["warnings"]] == [("diversion_wording", True)]


def test_reference_data_that_moves_money_takes_effect_only_once_decided(
    client: httpx.Client,
) -> None:
    """A local subsidy programme is recorded on the day it takes effect and governs nothing
    until a second risk manager approves it; lifting a suspension likewise waits for one."""
    flow = Origination(client, region=own_county("56"))
    risk = headers(Role.risk_manager, sub=f"risk-p-{flow.tag}", regions=[flow.region])
    today = clock.today()
    body = {
        "region_prefix": flow.region,
        "name": "地方贴息",
        "basis": "rate_points",
        "value": "0.01",
        "reason": "县财政局文件",
    }
    for when in (today - timedelta(days=1), today + timedelta(days=1)):
        refused = client.post(
            "/v1/subsidy-programmes", headers=risk, json={**body, "effective_from": str(when)}
        )
        assert slug(refused) == "date-out-of-range"
    recorded = client.post(
        "/v1/subsidy-programmes", headers=risk, json={**body, "effective_from": str(today)}
    )
    assert recorded.status_code == 201 and recorded.json()["status"] == "pending"
    trial = {
        "annual_rate": "0.0435",
        "amount": "40000.00",
        "contract_date": str(today),
        "region_code": flow.region,
    }
    pending = client.post("/v1/policy/subsidy", headers=flow.officer, json=trial)
    assert D(pending.json()["local_subsidy_rate"]) == 0  # not in force yet
    inbox = client.get(
        "/v1/decisions", params={"kind": "subsidy_programme", "limit": 200}, headers=risk
    ).json()["items"]
    (request,) = [r for r in inbox if r["subject_id"] == recorded.json()["id"]]
    url = f"/v1/decisions/{request['id']}/decision"
    assert slug(client.post(url, headers=risk, json={"outcome": "approve"})) == "maker-checker"
    other = headers(Role.risk_manager, sub=f"risk-q-{flow.tag}", regions=[flow.region])
    assert client.post(url, headers=other, json={"outcome": "approve"}).status_code == 200
    in_force = client.post("/v1/policy/subsidy", headers=flow.officer, json=trial)
    assert D(in_force.json()["local_subsidy_rate"]) == D("0.01")

    status = f"/v1/regions/{flow.region}/lending-status"
    suspended = client.put(status, headers=risk, json={"status": "suspended", "reason": "畸高"})
    assert suspended.status_code == 200 and suspended.json()["lending_status"] == "suspended"
    asked = client.put(status, headers=risk, json={"status": "open", "reason": "已化解"})
    assert asked.status_code == 202 and asked.json()["lending_status"] == "suspended"
    lift = f"{asked.headers['location']}/decision"
    assert slug(client.post(lift, headers=risk, json={"outcome": "approve"})) == "maker-checker"
    assert client.post(lift, headers=other, json={"outcome": "approve"}).status_code == 200
    region = client.get(f"/v1/regions/{flow.region}", headers=risk).json()
    assert region["lending_status"] == "open"
