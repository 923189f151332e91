"""After a loan goes wrong, end to end: overdue → case opens → a broken promise → escalation
through the buckets → actions with the work team → loss → write-off proposed with evidence and
approved by a second person (2.1 核销) → off the book, claim kept (账销案存) → exemption case
(尽职免责) decided and appealed → recoveries → closed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx

from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_collections import case_of
from tests.api.test_foundation import assert_problem

VISITORS = [{"role": "borrower", "name": "张三"}, {"role": "work_team", "name": "王队长"}]


def test_overdue_to_loss_write_off_exemption_and_recovery(client: httpx.Client) -> None:
    flow = Origination(client, region=own_county("53"))
    svc = Servicing(flow)
    loan = svc.active_loan(date(2027, 3, 10))
    due = date.fromisoformat(svc.schedule(loan["id"])[0]["due_date"])
    svc.close_through(due + timedelta(days=1))
    case = case_of(client, loan["id"], flow.officer)
    assert case is not None and case["bucket"] == "1-30"  # overdue: the case opens
    promised = client.post(
        f"/v1/collection-cases/{case['id']}/promises",
        headers=flow.officer,
        json={"promised_on": (due + timedelta(days=10)).isoformat(), "amount": "500.00"},
    )
    assert promised.status_code == 201, promised.text
    svc.close_through(due + timedelta(days=181))
    case = case_of(client, loan["id"], flow.officer)
    assert case is not None and case["bucket"] == "181+"  # escalated through every bucket
    assert case["suggested_actions"][0] == "work_team"
    assert [p["status"] for p in case["promises"]] == ["broken"]

    url = f"/v1/loans/{loan['id']}/write-offs"
    proposal = {
        "grounds": "collection_exhausted",
        "reason": "借款人外出务工失联，多次催收无果",
        "evidence": ["催收记录", "村委会证明"],
    }
    refused = assert_problem(client.post(url, headers=flow.officer, json=proposal), 409)
    codes = {r["code"] for r in refused["rules"]}  # type: ignore[union-attr]
    assert codes == {"write_off_collection_actions", "write_off_grassroots"}
    loss = assert_problem(
        client.post(url, headers=flow.officer, json={**proposal, "grounds": "loss_class"}), 409
    )
    assert {r["code"] for r in loss["rules"]} == {"write_off_loss_class"}  # type: ignore[union-attr]

    photographed = None
    for kind in ("phone_call", "home_visit", "work_team"):
        acted = client.post(
            f"/v1/collection-cases/{case['id']}/actions",
            headers=flow.officer,
            json={
                "kind": kind,
                "participants": VISITORS,
                "findings": ["refusal_to_pay"],
                "notes": "拒不还款",
            },
        )
        assert acted.status_code == 201, acted.text
        photographed = photographed or acted.json()["actions"][-1]["id"]
    # the home visit's photo, kept as evidence of the action (issue 30)
    photo = client.post(
        "/v1/attachments",
        params={
            "subject_type": "collection_action",
            "subject_id": photographed,
            "file_name": "上门催收.jpg",
        },
        content=b"\xff\xd8\xff\xe0" + b"photo" * 100,
        headers=flow.officer,
    )
    assert photo.status_code == 201, photo.text
    # a risk manager classes it loss (3.1: worse than the days past due give, with a reason)
    # at 181 days past due the rules give substandard: loss rests on evidence and a second
    # risk manager (3.1)
    loss_class = client.put(
        f"/v1/loans/{loan['id']}/risk-class",
        headers=headers(Role.risk_manager, sub=f"risk-{flow.tag}", regions=[flow.region]),
        json={
            "risk_class": "loss",
            "reason": "借款人失联，无还款来源",
            "evidence": ["村委会出具的失联证明"],
        },
    )
    assert loss_class.status_code == 202, loss_class.text
    assert loss_class.json()["risk_class"] != "loss"
    confirmed = client.post(
        f"{loss_class.headers['location']}/decision",
        headers=headers(Role.risk_manager, sub=f"risk-2-{flow.tag}", regions=[flow.region]),
        json={"outcome": "approve", "note": "证据充分"},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert svc.loan(loan["id"])["risk_class"] == "loss"
    proposal = {**proposal, "grounds": "loss_class"}
    proposed = client.post(url, headers=flow.officer, json=proposal)
    assert proposed.status_code == 201, proposed.text
    write_off = proposed.json()
    assert write_off["status"] == "proposed" and write_off["claim"] is None
    assert svc.loan(loan["id"])["status"] == "active"  # nothing changes on proposing
    assert_problem(client.post(url, headers=flow.officer, json=proposal), 409)  # one at a time

    decision = f"/v1/write-offs/{write_off['id']}/decision"
    proposer = headers(Role.risk_manager, sub=f"officer-{flow.tag}", regions=[flow.region])
    refused = assert_problem(
        client.post(decision, headers=proposer, json={"outcome": "approve"}), 409
    )
    assert "maker-checker" in str(refused["type"])
    manager = headers(Role.risk_manager, sub=f"mgr-{flow.tag}", regions=[flow.region])
    approved = client.post(
        decision, headers=manager, json={"outcome": "approve", "note": "同意核销"}
    )
    assert approved.status_code == 200, approved.text
    done = approved.json()
    position = svc.loan(loan["id"])
    assert position["status"] == "written_off"
    assert Decimal(done["principal"]) == Decimal(position["principal_outstanding"]) > 0
    assert Decimal(done["claim"]) == (
        Decimal(done["principal"]) + Decimal(done["interest"]) + Decimal(done["penalty"])
    )
    assert Decimal(done["interest"]) > 0 and Decimal(done["penalty"]) > 0
    assert done["remaining"] == done["claim"]
    closed_case = case_of(client, loan["id"], flow.officer)
    assert closed_case is not None and closed_case["close_reason"] == "written_off"
    # off the book: the batch no longer accrues on it; its class is frozen
    svc.close_through(due + timedelta(days=185))
    after = svc.loan(loan["id"])
    assert (after["interest_accrued"], after["risk_class"]) == (
        position["interest_accrued"],
        position["risk_class"],
    )
    # the county's figures (portfolio quality, NPL ratio, 4.3) no longer hold it
    figures = client.get(f"/v1/regions/{flow.region}", headers=manager).json()["figures"]
    assert (figures["active_loans"], figures["balance"], figures["npl_balance"]) == (
        0,
        "0.00",
        "0.00",
    )
    assert loan["id"] not in {
        x["id"]
        for x in client.get(
            "/v1/loans", params={"status": "active", "region": flow.region}, headers=manager
        ).json()["items"]
    }

    exemption_case_is_decided_and_appealed(client, flow, loan["id"])

    # core banking recovers in two parts; a repeat replays; too much is refused
    recoveries = f"/v1/loans/{loan['id']}/recoveries"
    day = after["business_date"]
    first = {"core_transaction_id": f"REC-{uuid.uuid4()}", "amount": "1000.00", "value_date": day}
    posted = client.post(recoveries, headers=svc.core, json=first)
    assert posted.status_code == 201, posted.text
    remaining = Decimal(posted.json()["remaining"])
    assert remaining == Decimal(done["claim"]) - Decimal("1000.00")
    again = client.post(recoveries, headers=svc.core, json=first)
    assert again.status_code == 200 and again.json()["recovered"] == "1000.00"
    assert_problem(client.post(recoveries, headers=svc.core, json={**first, "amount": "2.00"}), 409)
    too_much = {
        "core_transaction_id": f"REC-{uuid.uuid4()}",
        "amount": str(remaining + Decimal("0.01")),
        "value_date": day,
    }
    assert_problem(client.post(recoveries, headers=svc.core, json=too_much), 409)
    # finding 10: no value date after the county's business date, none before the write-off
    for when in ("2030-01-01", (date.fromisoformat(day) + timedelta(days=1)).isoformat()):
        future = {**too_much, "amount": "1.00", "value_date": when}
        refused = assert_problem(client.post(recoveries, headers=svc.core, json=future), 409)
        assert str(refused["type"]).endswith("date-out-of-range")
    early = {**too_much, "amount": "1.00", "value_date": str(done["written_off_on"])}
    early["value_date"] = (date.fromisoformat(early["value_date"]) - timedelta(days=1)).isoformat()
    assert_problem(client.post(recoveries, headers=svc.core, json=early), 409)
    last = {**too_much, "amount": str(remaining)}
    final = client.post(recoveries, headers=svc.core, json=last)
    assert final.status_code == 201, final.text
    assert final.json()["remaining"] == "0.00"
    assert svc.loan(loan["id"])["status"] == "closed"  # the claim is met: the loan closes
    (history,) = client.get(url, headers=flow.officer).json()
    assert history["recovered"] == done["claim"] and history["remaining"] == "0.00"


def exemption_case_is_decided_and_appealed(
    client: httpx.Client, flow: Origination, loan_id: str
) -> None:
    """尽职免责 on the written-off loan: opened by the officer with the evidence gathered,
    reviewed and decided by a committee member who had no part in it, appealed once, final."""
    opened = client.post(
        f"/v1/loans/{loan_id}/exemption-cases",
        headers=flow.officer,
        json={"claimed_situations": ["natural_disaster"], "statement": "洪灾冲毁养殖场"},
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    evidence = case["evidence"]
    assert evidence["application"][0]["decided_by"] == f"reviewer-{flow.tag}"
    assert evidence["investigations"] and evidence["rating"][0]["grade"]
    assert len(evidence["collection_actions"]) == 3
    assert evidence["write_offs"][0]["status"] == "approved"
    assert {"write_off.approved", "collection.action"} <= {
        e["action"] for e in evidence["audit_trail"]
    }
    assert {f"officer-{flow.tag}", f"reviewer-{flow.tag}", f"mgr-{flow.tag}"} <= set(
        case["involved"]
    )
    assert "id_number" not in str(evidence)
    # the photos of the loan's records are in the file; a scan added to the case later is too
    assert [a["file_name"] for a in evidence["attachments"]] == ["上门催收.jpg"]
    scan = client.post(
        "/v1/attachments",
        params={
            "subject_type": "exemption_case",
            "subject_id": case["id"],
            "file_name": "灾情证明",
        },
        content=b"%PDF-1.7\n" + b"scan" * 100,
        headers=flow.officer,
    )
    assert scan.status_code == 201, scan.text
    read = client.get(f"/v1/exemption-cases/{case['id']}", headers=flow.officer).json()
    kept = [(a["subject_type"], a["file_name"]) for a in read["evidence"]["attachments"]]
    assert kept == [("collection_action", "上门催收.jpg"), ("exemption_case", "灾情证明.pdf")]
    again = client.post(
        f"/v1/loans/{loan_id}/exemption-cases",
        headers=flow.officer,
        json={"claimed_situations": ["luck"], "statement": "x" * 3},
    )
    assert_problem(again, 409)

    url = f"/v1/exemption-cases/{case['id']}"
    involved = headers(Role.exemption_committee, sub=f"reviewer-{flow.tag}", regions=[flow.region])
    refused = assert_problem(
        client.post(f"{url}/review", headers=involved, json={"notes": "看过"}), 409
    )
    assert refused["rules"][0]["code"] == "maker_checker"  # type: ignore[index]
    first = headers(Role.exemption_committee, sub=f"committee-a-{flow.tag}", regions=[flow.region])
    second = headers(Role.exemption_committee, sub=f"committee-b-{flow.tag}", regions=[flow.region])
    assert_problem(
        client.post(
            f"{url}/decision", headers=first, json={"outcome": "exempt", "reasons": "先审"}
        ),
        409,
    )
    reviewed = client.post(f"{url}/review", headers=first, json={"notes": "资料齐全，灾情属实"})
    assert reviewed.json()["status"] == "evidence_reviewed", reviewed.text
    over_aggravating = {
        "outcome": "exempt",
        "situations": ["natural_disaster"],
        "aggravating": ["evidence_missing"],
        "reasons": "x" * 3,
    }
    refused = assert_problem(
        client.post(f"{url}/decision", headers=first, json=over_aggravating), 409
    )
    assert refused["rules"][0]["code"] == "exemption_grounds"  # type: ignore[index]
    decided = client.post(
        f"{url}/decision", headers=first, json={**over_aggravating, "outcome": "partly_exempt"}
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["outcome"]) == ("decided", "partly_exempt")

    stranger = headers(Role.loan_officer, sub="officer-stranger", regions=[flow.region])
    assert_problem(client.post(f"{url}/appeal", headers=stranger, json={"reason": "不服"}), 409)
    appealed = client.post(
        f"{url}/appeal", headers=flow.officer, json={"reason": "资料已补齐，见补充材料"}
    )
    assert appealed.json()["status"] == "appealed", appealed.text
    assert_problem(client.post(f"{url}/appeal", headers=flow.officer, json={"reason": "再议"}), 409)
    final = {"outcome": "exempt", "situations": ["natural_disaster"], "reasons": "补充材料属实"}
    refused = assert_problem(client.post(f"{url}/final-decision", headers=first, json=final), 409)
    # the first decider took part in the case: the one mechanism's refusal (4.1, 2.1)
    assert refused["rules"][0]["code"] == "maker_checker"  # type: ignore[index]
    done = client.post(f"{url}/final-decision", headers=second, json=final)
    assert (done.json()["status"], done.json()["final_outcome"]) == ("final", "exempt"), done.text

    rows = client.get(
        "/v1/reports/exemption-cases", params={"region": flow.region}, headers=second
    ).json()["rows"]
    assert rows == [
        {"region_code": flow.region, "status": "final", "outcome": "exempt", "cases": 1}
    ]
