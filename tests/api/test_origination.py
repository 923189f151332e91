"""Origination over real HTTP: roster → household → rating → investigation → application →
maker-checker decision → contract, and the ways it is refused."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import httpx
import psycopg
import pytest

from app.core import clock
from app.core.auth import Role
from tests.api.factories import (
    Origination,
    Person,
    decide_as_second_risk_manager,
    headers,
    id_number,
    own_county,
    roster_csv,
)
from tests.api.test_foundation import assert_problem


@pytest.fixture()
def flow(client: httpx.Client) -> Origination:
    return Origination(client)


def failing_rules(response: httpx.Response) -> set[tuple[str, str]]:
    return {(r["code"], r["clause"]) for r in response.json()["rules"]}


def test_end_to_end_from_roster_to_signed_contract(flow: Origination, client: httpx.Client) -> None:
    person = Person(id_number())
    first = flow.import_roster([person])
    assert (first["accepted"], first["rejected"]) == (1, 0)
    again = flow.import_roster([person])
    assert (again["accepted"], again["updated"], again["unchanged"]) == (0, 0, 1)

    household = flow.household([person])
    assert household["roster_status"] == "monitoring_target"
    member = household["members"][0]
    assert member["id_number"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert member["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert household["household_number"] == flow.roster_household([person])

    rating = flow.rate(household["id"])
    assert rating["grade"] == "AAA" and rating["credit_limit"] == "66000.00"
    assert {r["code"] for r in rating["reasons"]} >= {"debt_service_ratio", "credit_bureau"}

    submitted = flow.apply(household)
    assert submitted.status_code == 201, submitted.text
    application = submitted.json()
    assert submitted.headers["location"] == f"/v1/applications/{application['id']}"
    assert application["status"] == "submitted"
    assert application["eligibility"]["eligible"] is True
    assert application["eligibility"]["policy_version"] == "ASSIST_2026"

    assert flow.investigate(application["id"]).status_code == 201
    approved = flow.approve(application["id"])
    assert approved.status_code == 200, approved.text
    decision = approved.json()["decision"]
    assert (decision["outcome"], decision["amount"], decision["annual_rate"]) == (
        "approve",
        "50000.00",
        "0.0435",
    )
    assert approved.json()["eligibility"]["stage"] == "decision"

    signed = flow.sign(application["id"])
    assert signed.status_code == 201, signed.text
    contract = signed.json()
    loan = contract["loan"]
    assert (loan["status"], loan["policy_version"], loan["principal"]) == (
        "contracted",
        "ASSIST_2026",
        "50000.00",
    )
    assert (loan["central_subsidy_rate"], loan["local_subsidy_rate"]) == ("0.025", "0.01")
    assert loan["subsidised_principal"] == "50000.00"
    preview = contract["schedule_preview"]
    assert len(preview) == 12
    assert sum(Decimal(r["principal"]) for r in preview) == Decimal("50000.00")
    assert all(
        Decimal(r["central_subsidy"])
        + Decimal(r["local_subsidy"])
        + Decimal(r["borrower_interest"])
        == Decimal(r["interest"])
        for r in preview
    )

    final = client.get(f"/v1/applications/{application['id']}", headers=flow.reviewer).json()
    assert final["status"] == "contracted" and final["loan_id"] == loan["id"]
    trail = client.get(
        "/v1/audit-events",
        params={"entity_type": "application", "entity_id": application["id"]},
        headers=headers(Role.auditor, sub="audit"),
    ).json()["items"]
    assert [e["action"] for e in reversed(trail)] == [
        "application.submit",
        "application.investigate",
        "application.approve",
        "decision.approved",  # the one decision mechanism's event, the same for every kind
        "application.contract",
    ]
    assert {e["actor"] for e in trail} == {f"officer-{flow.tag}", f"reviewer-{flow.tag}"}


def test_off_roster_applicant_cannot_be_approved(flow: Origination) -> None:
    household = flow.household([Person(id_number())])
    assert household["roster_status"] == "not_listed"
    flow.rate(household["id"])
    submitted = flow.apply(household)
    assert submitted.status_code == 201
    assert submitted.json()["eligibility"]["eligible"] is False
    flow.investigate(submitted.json()["id"])
    refused = flow.approve(submitted.json()["id"])
    assert_problem(refused, 409)
    assert failing_rules(refused) == {("roster_status", "1.1")}


def test_removed_member_cannot_be_approved(flow: Origination) -> None:
    people, household = flow.ready_household()
    removal = flow.import_roster(people, removed_on=clock.today() - timedelta(days=1))
    assert (removal["removed"], removal["updated"]) == (1, 0)
    assert (
        flow.client.get(f"/v1/households/{household['id']}", headers=flow.officer).json()[
            "roster_status"
        ]
        == "removed"
    )
    application = flow.apply(household).json()
    flow.investigate(application["id"])
    refused = flow.approve(application["id"])
    assert_problem(refused, 409)
    assert failing_rules(refused) == {("roster_status", "1.1")}


def test_amount_above_the_credit_line_is_refused(flow: Origination) -> None:
    _, household = flow.ready_household()
    application = flow.apply(household, amount="70000.00").json()
    assert application["eligibility"]["eligible"] is False
    flow.investigate(application["id"])
    refused = flow.approve(application["id"], amount="70000.00")
    assert_problem(refused, 409)
    assert failing_rules(refused) == {("credit_line_covers_amount", "1.9")}
    above_request = flow.approve(application["id"], amount="70000.01")
    assert ("approved_within_requested", "1.9") in failing_rules(above_request)


def test_refused_purpose(flow: Origination) -> None:
    _, household = flow.ready_household()
    application = flow.apply(household, purpose="housing").json()
    rules = {r["code"]: r for r in application["eligibility"]["rules"]}
    assert rules["productive_purpose"]["passed"] is False
    assert rules["productive_purpose"]["clause"] == "1.8"
    flow.investigate(application["id"])
    assert failing_rules(flow.approve(application["id"])) == {("productive_purpose", "1.8")}


def test_the_submitter_cannot_decide(flow: Origination) -> None:
    _, household = flow.ready_household()
    application = flow.apply(household).json()
    flow.investigate(application["id"])
    same_user = headers(Role.loan_officer, Role.credit_reviewer, sub=f"officer-{flow.tag}")
    refused = flow.approve(application["id"], by=same_user)
    body = assert_problem(refused, 409)
    assert "审贷分离" in str(body["detail"])
    assert failing_rules(refused) == {("maker_checker", "4.1")}


def test_no_decision_without_a_pre_loan_investigation(flow: Origination) -> None:
    _, household = flow.ready_household()
    application = flow.apply(household).json()
    refused = flow.approve(application["id"])
    assert_problem(refused, 409)
    assert failing_rules(refused) == {("pre_loan_investigation", "4.1")}
    flow.investigate(application["id"], need_is_genuine=False)
    assert failing_rules(flow.approve(application["id"])) == {("pre_loan_investigation", "4.1")}
    flow.investigate(application["id"])
    assert flow.approve(application["id"]).status_code == 200


def test_suspended_region_refuses_decisions_and_new_applications(client: httpx.Client) -> None:
    region = own_county("59")  # a county of the test's own
    flow = Origination(client, region=region)
    _, household = flow.ready_household()
    application = flow.apply(household).json()
    flow.investigate(application["id"])
    suspend = client.put(
        f"/v1/regions/{region}/lending-status",
        headers=flow.risk,
        json={"status": "suspended", "reason": "不良率畸高"},
    )
    assert suspend.status_code == 200, suspend.text
    assert suspend.json()["lending_status"] == "suspended"
    refused = flow.approve(application["id"])
    assert_problem(refused, 409)
    assert ("region_not_suspended", "4.3") in failing_rules(refused)
    assert failing_rules(flow.apply(household)) == {("region_not_suspended", "4.3")}
    other = Origination(client)  # 520102 is not suspended
    _, elsewhere = other.ready_household()
    assert other.apply(elsewhere).status_code == 201
    lift = client.put(
        f"/v1/regions/{region}/lending-status",
        headers=flow.risk,
        json={"status": "open", "reason": "整改完成"},
    )
    # lifting lets money out again: asked, the county still suspended, until another decides
    assert lift.json()["lending_status"] == "suspended"
    assert_problem(flow.approve(application["id"]), 409)
    decide_as_second_risk_manager(client, lift)
    lifted = client.get(f"/v1/regions/{region}", headers=flow.risk).json()
    assert [h["status"] for h in lifted["history"]] == ["open", "suspended"]
    assert flow.approve(application["id"]).status_code == 200


def test_impossible_transitions_are_409(flow: Origination) -> None:
    _, household = flow.ready_household()
    application_id = flow.approved_application(household)
    assert_problem(
        flow.client.post(f"/v1/applications/{application_id}/withdrawal", headers=flow.officer), 409
    )
    assert_problem(flow.approve(application_id), 409)
    declined = flow.apply(household).json()
    decline = flow.client.post(
        f"/v1/applications/{declined['id']}/decision",
        headers=flow.reviewer,
        json={"decision": {"outcome": "decline", "reason_codes": ["insufficient_capacity"]}},
    )
    assert decline.json()["status"] == "declined"
    assert_problem(flow.sign(declined["id"]), 409)


def test_twenty_concurrent_signings_make_exactly_one_loan(
    live_server: str, client: httpx.Client
) -> None:
    flow = Origination(client)
    _, household = flow.ready_household()
    application_ids = [flow.approved_application(household) for _ in range(20)]
    barrier = threading.Barrier(20)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def sign(application_id: str) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as own:
            barrier.wait()
            response = own.post(
                f"/v1/applications/{application_id}/contract", json={}, headers=flow.officer
            )
        with lock:
            results.append(response)

    threads = [threading.Thread(target=sign, args=(a,)) for a in application_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 19, [r.text for r in results if r.status_code >= 500]
    for refused in (r for r in results if r.status_code == 409):
        assert ("one_loan_per_household", "1.1") in failing_rules(refused)


def test_roster_import_validates_each_line(flow: Origination, client: httpx.Client) -> None:
    good = id_number()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    unknown_region = id_number(region="520102")
    rows = [
        {
            "id_number": good,
            "name": "甲",
            "household_number": "H1",
            "region_code": "520102",
            "category": "continued_support",
            "listed_date": "2025-02-01",
        },
        {
            "id_number": bad_check,
            "name": "乙",
            "household_number": "H1",
            "region_code": "520102",
            "category": "monitoring_target",
            "listed_date": "2025-02-01",
        },
        {
            "id_number": id_number(),
            "name": "丙",
            "household_number": "H2",
            "region_code": "520102",
            "category": "vip",
            "listed_date": "2025-02-01",
        },
        {
            "id_number": id_number(),
            "name": "丁",
            "household_number": "H3",
            "region_code": "520102",
            "category": "monitoring_target",
            "listed_date": "2025-02-30",
        },
        {
            "id_number": good,
            "name": "甲",
            "household_number": "H1",
            "region_code": "520102",
            "category": "continued_support",
            "listed_date": "2025-02-01",
        },
        {
            "id_number": unknown_region,
            "name": "戊",
            "household_number": "H4",
            "region_code": "599999",
            "category": "monitoring_target",
            "listed_date": "2025-02-01",
        },
    ]
    send = partial(
        client.post,
        content=roster_csv(rows).encode(),
        headers={**flow.risk, "content-type": "text/csv", "Accept-Language": "en"},
    )
    # A file with rows in error writes nothing: 422 naming each row and its reason...
    refused = assert_problem(send("/v1/roster/imports"), 422)
    assert [e["loc"] for e in refused["errors"]] == [["line 3"], ["line 4"], ["line 5"], ["line 6"]]
    # ...unless the caller asks for the valid rows (both are new: the refusal wrote nothing).
    response = send("/v1/roster/imports?on_errors=import_valid")
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["lines"], result["accepted"], result["rejected"]) == (6, 2, 4)
    reasons = {r["line"]: r["reason"] for r in result["rejections"]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "check character" in reasons[3] and "category" in reasons[4]
    assert "date" in reasons[5] and "earlier in this file" in reasons[6]
    assert [w["line"] for w in result["warnings"]] == [7]
    for text in (response.text,):
        assert good not in text and bad_check not in text


def test_roster_import_as_json_lines_and_refusals(flow: Origination, client: httpx.Client) -> None:
    import json

    line = json.dumps(
        {
            "id_number": id_number(),
            "name": "己",
            "household_number": "H9",
            "region_code": "520102",
            "category": "monitoring_target",
            "listed_date": "2025-03-01",
            "removed_date": None,
        }
    )
    ok = client.post(
        "/v1/roster/imports?on_errors=import_valid",
        content=(line + "\n[1]\n").encode(),
        headers={**flow.risk, "content-type": "application/x-ndjson"},
    )
    assert ok.status_code == 201, ok.text
    assert (ok.json()["accepted"], ok.json()["rejected"]) == (1, 1)
    assert_problem(
        client.post(
            "/v1/roster/imports", content=b"x", headers={**flow.risk, "content-type": "text/plain"}
        ),
        415,
    )
    assert_problem(
        client.post(
            "/v1/roster/imports",
            content=b"a,b\n1,2\n",
            headers={**flow.risk, "content-type": "text/csv"},
        ),
        422,
    )
    assert_problem(
        client.post(
            "/v1/roster/imports", content=b"x", headers={**flow.officer, "content-type": "text/csv"}
        ),
        403,
    )


def test_households_are_scoped_to_the_officers_regions(
    flow: Origination, client: httpx.Client
) -> None:
    _, household = flow.ready_household()
    outsider = headers(Role.loan_officer, sub="far-away", regions=["53"])
    assert_problem(client.get(f"/v1/households/{household['id']}", headers=outsider), 404)
    application = flow.apply(household).json()
    assert_problem(client.get(f"/v1/applications/{application['id']}", headers=outsider), 404)
    create = client.post(
        "/v1/households",
        headers=outsider,
        json={
            "region_code": "520102",
            "address": "x",
            "disbursement_account": "6217001234567890",
            "members": [{"name": "x", "id_number": id_number(), "relation": "head"}],
        },
    )
    assert_problem(create, 403)


def test_a_person_belongs_to_one_household(flow: Origination) -> None:
    person = Person(id_number())
    flow.household([person])
    again = flow.client.post(
        "/v1/households",
        headers=flow.officer,
        json={
            "region_code": flow.region,
            "address": "x",
            "disbursement_account": "6217001234567890",
            "members": [{"name": "x", "id_number": person.id_number, "relation": "head"}],
        },
    )
    assert_problem(again, 409)


def test_ratings_are_kept_not_overwritten(flow: Origination, database_url: str) -> None:
    _, household = flow.ready_household()
    flow.rate(household["id"], bureau_major_bad_record=True)
    with psycopg.connect(database_url) as conn:
        grades = conn.execute(
            "SELECT grade FROM credit_ratings WHERE household_id = %s ORDER BY created_at",
            (household["id"],),
        ).fetchall()
    assert [g[0] for g in grades] == ["AAA", "C"]
    application = flow.apply(household).json()
    failed = {r["code"] for r in application["eligibility"]["rules"] if not r["passed"]}
    assert failed == {"no_major_bad_credit", "credit_line_covers_amount"}


def test_list_applications_filters_and_paginates(flow: Origination, client: httpx.Client) -> None:
    _, household = flow.ready_household()
    ids = {flow.apply(household).json()["id"] for _ in range(3)}
    seen: list[str] = []
    cursor = None
    reader = headers(Role.credit_reviewer, sub="lister", regions=["520102"])
    while True:
        params: dict[str, str | int] = {"status": "submitted", "region": "520102", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/applications", params=params, headers=reader).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor or ids <= set(seen):
            break
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))
    none = client.get("/v1/applications", params={"region": "53"}, headers=reader).json()
    assert none["items"] == []


def test_identifiers_are_encrypted_at_rest_and_masked_everywhere(
    flow: Origination, client: httpx.Client, database_url: str
) -> None:
    formatter = logging.getLogger().handlers[0].formatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
    try:
        person = Person(id_number())
        flow.import_roster([person])
        household = flow.household([person])
        flow.rate(household["id"])
        answers = [
            client.get(f"/v1/households/{household['id']}", headers=flow.officer).text,
            flow.apply(household).text,
        ]
        logging.getLogger("bangfu.test").info("looked up %s / %s", person.id_number, person.phone)
    finally:
        logging.getLogger().removeHandler(handler)
    for text in [*answers, stream.getvalue()]:
        assert person.id_number not in text and person.phone not in text
    with psycopg.connect(database_url) as conn:
        dump = conn.execute(
            "SELECT m.*::text FROM members m WHERE household_id = %s", (household["id"],)
        ).fetchall()
        roster = conn.execute("SELECT r.*::text FROM roster_entries r").fetchall()
        audit = conn.execute("SELECT a.*::text FROM audit_events a").fetchall()
    everything = " ".join(str(row) for row in [*dump, *roster, *audit])
    assert person.id_number not in everything
    assert person.phone not in everything
    assert person.id_number[:4] + "*" * 10 in everything


def test_young_applicant_fails_the_age_rule_by_birthday(flow: Origination) -> None:
    today = clock.today()
    try:
        birthday_tomorrow = date(today.year - 18, today.month, today.day) + timedelta(days=1)
    except ValueError:  # 29 February
        birthday_tomorrow = date(today.year - 18, 3, 1)
    person = Person(id_number(birth=birthday_tomorrow))
    flow.import_roster([person])
    household = flow.household([person])
    flow.rate(household["id"])
    rules = {r["code"]: r for r in flow.apply(household).json()["eligibility"]["rules"]}
    assert rules["age_within_range"]["passed"] is False
    assert rules["age_within_range"]["clause"] == "1.9"


def test_an_application_trial_finds_what_a_submission_would_and_stores_nothing(
    flow: Origination, client: httpx.Client
) -> None:
    _, household = flow.ready_household()
    member = household["members"][0]["id"]
    terms = {
        "household_id": household["id"],
        "applicant_member_id": member,
        "amount": "90000.00",  # above the household's credit line (1.9)
        "term_months": 24,
        "purpose": "livestock",
    }
    tried = client.post("/v1/applications/trials", json=terms, headers=flow.officer)
    assert tried.status_code == 200, tried.text
    failed = {(r["code"], r["clause"]) for r in tried.json()["rules"] if not r["passed"]}
    assert failed == {("credit_line_covers_amount", "1.9")}
    submitted = flow.apply(household, amount="90000.00", term_months=24).json()
    assert [(r["code"], r["passed"]) for r in submitted["eligibility"]["rules"]] == [
        (r["code"], r["passed"]) for r in tried.json()["rules"]
    ]
    listed = client.get(
        "/v1/applications", params={"household_id": household["id"]}, headers=flow.officer
    ).json()
    assert listed["total"] == 1  # the submission; the trial stored nothing
    assert_problem(
        client.post(
            "/v1/applications/trials",
            json={**terms, "applicant_member_id": str(uuid.uuid4())},
            headers=flow.officer,
        ),
        422,
    )
