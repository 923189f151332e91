"""Every application and loan has its loan officer; moving them is asked by one person and
decided by another, and only moves what lies within the asker's regions (issue 17)."""

from __future__ import annotations

import httpx
import psycopg

from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem


def test_an_officer_s_loans_and_applications_move_on_a_second_person_s_approval(
    client: httpx.Client, database_url: str
) -> None:
    flow = Origination(client, region=own_county("52"))
    svc = Servicing(flow)
    officer = f"officer-{flow.tag}"
    loan = svc.contracted_loan()
    assert loan["officer"] == officer
    _, household = flow.ready_household()
    pending = flow.apply(household).json()
    assert pending["officer"] == officer

    mine = client.get("/v1/loans", params={"officer": officer}, headers=flow.officer).json()
    assert [x["id"] for x in mine["items"]] == [loan["id"]]
    applications = client.get(
        "/v1/applications", params={"officer": officer}, headers=flow.officer
    ).json()["items"]
    assert {a["id"] for a in applications} >= {pending["id"]}

    # work goes only to a loan officer the service knows (who has acted here as one)
    unknown = client.post(
        "/v1/officer-reassignments",
        headers=headers(Role.credit_reviewer, sub=f"branch-{flow.tag}", regions=[flow.region]),
        json={"from_officer": officer, "to_officer": f"nobody-{flow.tag}", "reason": "调岗"},
    )
    assert str(assert_problem(unknown, 409)["type"]).endswith("unknown-officer")
    colleague = Origination(client, region=flow.region)
    colleague.ready_household()  # the colleague has worked here as a loan officer
    newcomer = f"officer-{colleague.tag}"

    # someone in another county asks: nothing of this county can move
    elsewhere = headers(Role.risk_manager, sub=f"mgr-else-{flow.tag}", regions=[own_county("53")])
    asked_elsewhere = client.post(
        "/v1/officer-reassignments",
        headers=elsewhere,
        json={"from_officer": officer, "to_officer": newcomer, "reason": "branch merge"},
    ).json()

    branch = headers(Role.credit_reviewer, sub=f"branch-{flow.tag}", regions=[flow.region])
    asked = client.post(
        "/v1/officer-reassignments",
        headers=branch,
        json={"from_officer": officer, "to_officer": newcomer, "reason": "客户经理调岗"},
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "requested" and request["moved_loans"] is None
    assert svc.loan(loan["id"])["officer"] == officer  # nothing moves on the asking

    decision = f"/v1/officer-reassignments/{request['id']}/decision"
    manager = headers(Role.risk_manager, sub=f"mgr-{flow.tag}", regions=[flow.region])
    assert_problem(client.post(decision, headers=manager, json={"outcome": "maybe"}), 422)
    same = headers(Role.risk_manager, sub=f"branch-{flow.tag}", regions=[flow.region])
    refused = assert_problem(client.post(decision, headers=same, json={"outcome": "approve"}), 409)
    assert "maker-checker" in str(refused["type"])
    # a manager of another county does not see it
    assert_problem(client.post(decision, headers=elsewhere, json={"outcome": "approve"}), 404)

    approved = client.post(decision, headers=manager, json={"outcome": "approve", "note": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["moved_loans"] == 1
    assert approved.json()["moved_applications"] >= 1
    assert svc.loan(loan["id"])["officer"] == newcomer
    moved = client.get(f"/v1/applications/{pending['id']}", headers=flow.officer).json()
    assert moved["officer"] == newcomer
    assert_problem(client.post(decision, headers=manager, json={"outcome": "approve"}), 409)

    # the far-away request, approved by its own second person, moves nothing here
    far = f"/v1/officer-reassignments/{asked_elsewhere['id']}/decision"
    other_manager = headers(
        Role.risk_manager, sub="mgr-far", regions=[elsewhere_region(asked_elsewhere)]
    )
    far_done = client.post(far, headers=other_manager, json={"outcome": "approve"}).json()
    assert far_done["moved_loans"] == 0 and far_done["moved_applications"] == 0

    with psycopg.connect(database_url) as conn:
        actions = conn.execute(
            "SELECT action FROM audit_events WHERE entity_id = %s ORDER BY id",
            (request["id"],),
        ).fetchall()
    assert actions == [
        ("officer.reassignment_requested",),
        ("officer.reassignment_decided",),
    ]
    # each record moved says who looked after it before (independence reads it, 4.1)
    moves = client.get(
        "/v1/audit-events",
        params={"entity_type": "loan", "entity_id": loan["id"]},
        headers=headers(Role.auditor, sub=f"auditor-{flow.tag}", regions=[flow.region]),
    ).json()["items"]
    (moved_event,) = [e for e in moves if e["action"] == "officer.reassigned"]
    assert (moved_event["before"]["officer"], moved_event["after"]["officer"]) == (
        officer,
        newcomer,
    )


def elsewhere_region(request: dict[str, object]) -> str:
    regions = request["regions"]
    assert isinstance(regions, list)
    return str(regions[0])
