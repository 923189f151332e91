"""Issue 6 scenarios over HTTP: monitoring and misuse, renewal and extension (once per chain,
legacy allowance, roster exits, restructuring), legacy loans under their own terms, regional
controls."""

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
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county
from tests.api.test_foundation import assert_problem
from tests.expected import accrued_by, subsidy_share

D = Decimal


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("55")))


def failing(response: httpx.Response) -> set[tuple[str, str]]:
    return {(r["code"], r["clause"]) for r in response.json()["rules"]}


def short_loan(svc: Servicing, months: int = 3) -> dict[str, Any]:
    """An active interest-then-principal loan from today."""
    return svc.active_loan(
        clock.today(), term_months=months, repayment_method="interest_then_principal"
    )


def pay_interest_to_maturity(svc: Servicing, loan_id: str) -> date:
    """Pay each instalment's interest on its due date; the principal stays for the renewal."""
    for row in svc.schedule(loan_id):
        due = date.fromisoformat(row["due_date"])
        svc.close_through(due - timedelta(days=1))
        paid = svc.repay(loan_id, row["interest_due"], due)
        assert paid.status_code == 201, paid.text
    return due


def request(svc: Servicing, loan_id: str, kind: str, **body: Any) -> httpx.Response:
    payload = (
        {"term_months": 3, "repayment_method": "interest_then_principal", "reason": "继续扩大养殖"}
        if kind == "renewal"
        else {"months": 3, "reason": "销售回款延迟"}
    )
    return svc.client.post(
        f"/v1/loans/{loan_id}/{kind}", headers=svc.flow.officer, json={**payload, **body}
    )


def decide(svc: Servicing, loan_id: str, kind: str, **body: Any) -> httpx.Response:
    payload = {"outcome": "approve", "annual_rate": "0.04"}
    return svc.client.post(
        f"/v1/loans/{loan_id}/{kind}/decision",
        headers=svc.flow.second_reviewer,
        json={**payload, **body},
    )


def renew(svc: Servicing, loan_id: str) -> dict[str, Any]:
    asked = request(svc, loan_id, "renewal")
    assert asked.status_code == 201, asked.text
    decided = decide(svc, loan_id, "renewal")
    assert decided.status_code == 200, decided.text
    return svc.loan(decided.json()["new_loan_id"])


def test_renewal_once_per_chain_and_the_second_is_refused(svc: Servicing) -> None:
    loan = short_loan(svc)
    maturity = pay_interest_to_maturity(svc, loan["id"])
    early = request(svc, loan["id"], "renewal", term_months=3)
    assert early.status_code == 201
    same_user = svc.client.post(
        f"/v1/loans/{loan['id']}/renewal/decision",
        headers=headers(Role.credit_reviewer, sub=f"officer-{svc.flow.tag}"),
        json={"outcome": "approve", "annual_rate": "0.04"},
    )
    assert_problem(same_user, 409)
    assert failing(same_user) == {("maker_checker", "4.1")}
    decided = decide(svc, loan["id"], "renewal")
    assert decided.status_code == 200, decided.text
    new = svc.loan(decided.json()["new_loan_id"])
    old = svc.loan(loan["id"])
    assert (old["status"], old["closed_on"]) == ("renewed", maturity.isoformat())
    assert (new["status"], new["policy_version"], new["principal"]) == (
        "active",
        "ASSIST_2026",
        "12000.00",
    )
    assert new["renewed_from_id"] == loan["id"]
    assert new["renewals_or_extensions_used"] == 1
    assert (new["central_subsidy_rate"], new["value_date"]) == ("0.025", maturity.isoformat())

    pay_interest_to_maturity(svc, new["id"])
    again = request(svc, new["id"], "renewal")
    assert_problem(again, 409)
    assert ("once_per_chain", "2.3") in failing(again)


def test_renewal_keeps_the_risk_class_and_difficulty_is_a_restructuring(svc: Servicing) -> None:
    loan = short_loan(svc)
    pay_interest_to_maturity(svc, loan["id"])
    assert svc.loan(loan["id"])["risk_class"] == "normal"
    new = renew(svc, loan["id"])
    assert new["risk_class"] == "normal"
    svc.close_through(date.fromisoformat(new["value_date"]) + timedelta(days=5))
    assert svc.loan(new["id"])["risk_class"] == "normal"

    other = Servicing(Origination(svc.client, region=own_county("54")))
    late = short_loan(other)
    maturity = pay_interest_to_maturity(other, late["id"])
    other.close_through(maturity + timedelta(days=4))  # principal unpaid: in difficulty
    state = other.loan(late["id"])
    assert state["days_past_due"] == 4 and state["risk_class"] == "special_mention"
    penalty = state["penalty_outstanding"]
    assert other.repay(late["id"], penalty, maturity + timedelta(days=5)).status_code == 201
    renewed = renew(other, late["id"])
    assert renewed["risk_class"] == "special_mention"
    assert any(alert.startswith("3.1 restructured") for alert in renewed["alerts"])
    other.close_through(maturity + timedelta(days=40))
    assert other.loan(renewed["id"])["risk_class"] == "special_mention"  # observed a year


def test_removed_borrower_keeps_the_loan_to_maturity_but_cannot_renew(svc: Servicing) -> None:
    people, household = svc.flow.ready_household()
    application_id = svc.flow.approved_application(household, amount="12000.00", term_months=3)
    decided = svc.client.get(f"/v1/applications/{application_id}", headers=svc.flow.officer)
    assert decided.status_code == 200
    signed = svc.flow.sign(application_id).json()["loan"]
    svc.disburse(signed["id"], clock.today())
    removal = svc.flow.import_roster(people, removed_on=clock.today())
    assert removal["removed"] == 1
    loan = svc.loan(signed["id"])
    assert loan["borrower_roster_status"] == "removed"
    assert any("农户贷款" in alert for alert in loan["alerts"])
    # It runs on unchanged: accruals, instalments, the schedule.
    svc.close_through(clock.today() + timedelta(days=20))
    running = svc.loan(signed["id"])
    assert running["status"] == "active" and D(running["interest_accrued"]) > 0
    pay_interest_to_maturity(svc, signed["id"])
    refused = request(svc, signed["id"], "renewal")
    assert_problem(refused, 409)
    assert ("borrower_on_roster", "4.2") in failing(refused)
    (rule,) = [r for r in refused.json()["rules"] if r["code"] == "borrower_on_roster"]
    assert "转为农户贷款" in rule["message"]  # Chinese unless English is asked for


def test_diversion_charges_the_misuse_rate_and_blocks_renewal_until_corrected(
    svc: Servicing, database_url: str
) -> None:
    loan = svc.active_loan(clock.today())
    today = clock.today()
    visit = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={
            "visited_on": today.isoformat(),
            "finding": "diverted_to_enterprise",
            "notes": "资金转给合作社入股",
        },
    )
    assert visit.status_code == 201, visit.text
    flagged = svc.loan(loan["id"])
    assert flagged["misuse_since"] == today.isoformat()
    assert any(alert.startswith("4.2 misuse") for alert in flagged["alerts"])
    svc.close_through(today + timedelta(days=9))
    # Misused funds: contract rate plus 100% (MISUSE_PENALTY_MARKUP), i.e. an extra
    # 12,000 × 4.35% / 360 a day on top of the contract interest; never subsidised.
    daily = (D("12000") * D("0.0435") * D("1.0") / 360).quantize(D("0.01"))
    state = svc.loan(loan["id"])
    assert state["penalty_accrued"] == f"{daily * 10:.2f}"
    blocked = request(svc, loan["id"], "extension", months=3)
    assert_problem(blocked, 409)
    assert failing(blocked) == {("no_unresolved_misuse", "4.2")}
    corrected = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={"visited_on": today.isoformat(), "finding": "as_declared", "corrects_misuse": True},
    )
    assert corrected.status_code == 201, corrected.text
    # finding 7: the correction stands once someone with no part in the loan confirms it
    assert svc.loan(loan["id"])["misuse_since"] == today.isoformat()
    inbox = svc.client.get(
        "/v1/decisions",
        params={"kind": "misuse_correction", "loan_id": loan["id"]},
        headers=svc.flow.second_reviewer,
    ).json()["items"]
    (waiting,) = [d for d in inbox if d["loan_id"] == loan["id"]]
    url = f"/v1/decisions/{waiting['id']}/decision"
    finder = headers(Role.risk_manager, sub=f"officer-{svc.flow.tag}", regions=[svc.flow.region])
    alone = svc.client.post(url, headers=finder, json={"outcome": "approve"})
    assert assert_problem(alone, 409)["type"].endswith("maker-checker")  # type: ignore[union-attr]
    confirmed = svc.client.post(url, headers=svc.flow.second_reviewer, json={"outcome": "approve"})
    assert confirmed.status_code == 200, confirmed.text
    assert svc.loan(loan["id"])["misuse_since"] is None
    svc.close_through(today + timedelta(days=12))
    assert svc.loan(loan["id"])["penalty_accrued"] == f"{daily * 10:.2f}"
    assert request(svc, loan["id"], "extension", months=3).status_code == 201
    with psycopg.connect(database_url) as conn:
        subsidised_penalty = conn.execute(
            "SELECT count(*) FROM accruals WHERE loan_id = %s AND penalty > 0"
            " AND central_subsidy + local_subsidy > interest",
            (loan["id"],),
        ).fetchone()[0]
    assert subsidised_penalty == 0


def test_extension_length_limits_and_reschedule(svc: Servicing) -> None:
    loan = svc.active_loan(clock.today())
    too_long = request(svc, loan["id"], "extension", months=13)
    assert_problem(too_long, 409)
    assert failing(too_long) == {("extension_length", "2.3")}
    svc.close_through(clock.today() + timedelta(days=10))
    assert request(svc, loan["id"], "extension", months=12).status_code == 201
    decided = decide(svc, loan["id"], "extension")
    assert decided.status_code == 200, decided.text
    extended = svc.loan(loan["id"])
    assert extended["extension_months"] == 12 and extended["renewals_or_extensions_used"] == 1
    rows = svc.schedule(loan["id"])
    assert len(rows) == 24
    assert extended["maturity_date"] == rows[-1]["due_date"]
    assert sum(D(r["principal_due"]) for r in rows) == D("12000.00")
    assert extended["risk_class"] == "normal"  # nothing overdue: not a restructuring
    again = request(svc, loan["id"], "extension", months=1)
    assert ("once_per_chain", "2.3") in failing(again)


def test_extension_for_a_borrower_in_difficulty_is_a_restructuring(svc: Servicing) -> None:
    loan = svc.active_loan(clock.today())
    first_due = date.fromisoformat(svc.schedule(loan["id"])[0]["due_date"])
    svc.close_through(first_due + timedelta(days=5))
    assert svc.loan(loan["id"])["days_past_due"] == 5
    assert request(svc, loan["id"], "extension", months=6).status_code == 201
    decided = decide(svc, loan["id"], "extension")
    assert decided.json()["restructuring"] is True
    state = svc.loan(loan["id"])
    assert state["risk_class"] == "special_mention"
    assert state["overdue_principal"] == "0.00"  # folded into the longer schedule
    assert D(state["overdue_interest"]) > 0  # interest stays due


def _legacy(svc: Servicing, person: Person, **overrides: Any) -> httpx.Response:
    item = {
        "external_ref": f"TPR-{uuid.uuid4().hex[:10]}",
        "borrower": {"name": person.name, "id_number": person.id_number},
        "region_code": svc.flow.region,
        "address": "某村",
        "disbursement_account": "6217009876543210",
        "principal": "20000.00",
        "annual_rate": "0.03",  # the 1-year LPR in force on 2025-12-15 (2025-05-20: 3.00%)
        "term_months": 12,
        "repayment_method": "interest_then_principal",
        "purpose": "planting",
        "signed_on": "2025-12-15",
        "value_date": "2025-12-15",
        "central_subsidy_rate": "0.02",
        "local_subsidy_rate": "0.005",
        "subsidised_principal": "20000.00",
        "instalments_paid": 11,
        "renewals_or_extensions": 0,
        **overrides,
    }
    return svc.client.post(
        "/v1/legacy-loans/imports", headers=svc.admin, json={"as_of": "2026-11-20", "loans": [item]}
    )


def test_legacy_loan_serviced_under_its_own_subsidy_and_renewed_once_under_2026_terms(
    svc: Servicing, database_url: str
) -> None:
    person = Person(id_number(svc.flow.region))
    svc.flow.import_roster([person])
    imported = _legacy(svc, person)
    assert imported.status_code == 201, imported.text
    assert (imported.json()["accepted"], imported.json()["rejected"]) == (1, 0)
    ((external_ref, loan_id),) = imported.json()["loan_ids"].items()
    by_ref = svc.client.get(
        "/v1/loans", params={"external_ref": external_ref}, headers=svc.flow.officer
    ).json()["items"]
    assert [x["id"] for x in by_ref] == [loan_id]
    loan = svc.loan(loan_id)
    assert (loan["policy_version"], loan["central_subsidy_rate"], loan["local_subsidy_rate"]) == (
        "LEGACY_2021",
        "0.02",
        "0.005",
    )
    assert loan["business_date"] == "2026-11-20" and loan["next_due_date"] == "2026-12-15"

    last = svc.schedule(loan_id)[-1]
    # the legacy contract's own central rate: 2 of its 3 points, on all 20,000
    assert D(last["central_subsidy"]) == subsidy_share(
        D(last["interest_due"]), D("0.02"), D("0.03")
    )
    svc.close_through(date(2026, 12, 14))
    with psycopg.connect(database_url) as conn:
        central = conn.execute(
            "SELECT sum(central_subsidy) FROM accruals WHERE loan_id = %s", (loan_id,)
        ).fetchone()[0]
    share = D(last["central_subsidy"])
    start, due = date.fromisoformat(last["period_start"]), date.fromisoformat(last["due_date"])
    assert central == share - accrued_by(share, start, due, date(2026, 11, 19))

    household_id = svc.loan(loan_id)["household_id"]
    svc.flow.rate(household_id)
    paid = svc.repay(loan_id, last["interest_due"], due)
    assert paid.status_code == 201, paid.text
    # 5.2: the import did not carry civil capacity or skills; the renewal asks for them (1.9).
    unknown = request(svc, loan_id, "renewal")
    assert_problem(unknown, 409)
    assert failing(unknown) == {("full_civil_capacity", "1.9"), ("labor_skills", "1.9")}
    household = svc.client.get(f"/v1/households/{household_id}", headers=svc.flow.officer).json()
    member = household["members"][0]
    assert (member["full_civil_capacity"], member["has_labor_skills"]) == (None, None)
    recorded = svc.client.patch(
        f"/v1/households/{household_id}/members/{member['id']}",
        headers=svc.flow.officer,
        json={"full_civil_capacity": True, "has_labor_skills": True, "reason": "入户核实"},
    )
    assert recorded.status_code == 200, recorded.text
    new = renew(svc, loan_id)
    assert (new["policy_version"], new["central_subsidy_rate"]) == ("ASSIST_2026", "0.025")
    assert new["renewals_or_extensions_used"] == 1

    other = Person(id_number(svc.flow.region))
    svc.flow.import_roster([other])
    used = _legacy(svc, other, renewals_or_extensions=1)
    used_id = next(iter(used.json()["loan_ids"].values()))
    svc.flow.rate(svc.loan(used_id)["household_id"])
    svc.close_through(date(2026, 12, 14))
    # (the renewal is refused on the allowance whatever the unrecorded facts)
    svc.repay(used_id, svc.schedule(used_id)[-1]["interest_due"], date(2026, 12, 15))
    refused = request(svc, used_id, "renewal")
    assert_problem(refused, 409)
    assert ("legacy_allowance", "2.3") in failing(refused)


def test_legacy_import_rejects_non_legacy_contracts_and_is_idempotent(svc: Servicing) -> None:
    person = Person(id_number(svc.flow.region))
    modern = _legacy(svc, person, signed_on="2026-03-01", value_date="2026-03-01")
    body = modern.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert body["rejections"][0]["reasons"][0].startswith("5.2")
    big = _legacy(svc, person, principal="60000.00", subsidised_principal="50000.00")
    assert big.json()["rejected"] == 1
    ref = f"TPR-{uuid.uuid4().hex[:10]}"
    first = _legacy(svc, person, external_ref=ref)
    again = _legacy(svc, person, external_ref=ref)
    assert (first.json()["accepted"], again.json()["unchanged"]) == (1, 1)
    assert first.json()["loan_ids"] == again.json()["loan_ids"]


def test_visits_due_are_listed(svc: Servicing) -> None:
    loan = svc.active_loan(clock.today())
    later = (clock.today() + timedelta(days=181)).isoformat()
    due = svc.client.get(
        "/v1/monitoring/due-visits",
        params={"as_of": later, "region": svc.flow.region},
        headers=svc.flow.officer,
    ).json()
    assert [item["loan_id"] for item in due["items"]] == [loan["id"]]
    visit = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={"visited_on": clock.today().isoformat(), "finding": "as_declared"},
    )
    assert visit.status_code == 201, visit.text
    assert svc.loan(loan["id"])["last_visit_on"] == clock.today().isoformat()
    soon = (clock.today() + timedelta(days=100)).isoformat()
    assert (
        svc.client.get(
            "/v1/monitoring/due-visits",
            params={"as_of": soon, "region": svc.flow.region},
            headers=svc.flow.officer,
        ).json()["items"]
        == []
    )


def test_regional_figures_flags_and_suspension(svc: Servicing) -> None:
    loans = [svc.active_loan(clock.today()) for _ in range(3)]
    first_due = date.fromisoformat(svc.schedule(loans[0]["id"])[0]["due_date"])
    for loan in loans[1:]:
        svc.close_through(first_due - timedelta(days=1))
        row = svc.schedule(loan["id"])[0]
        svc.repay(loan["id"], f"{D(row['principal_due']) + D(row['interest_due']):.2f}", first_due)
    svc.close_through(first_due + timedelta(days=2))
    region = svc.client.get(f"/v1/regions/{svc.flow.region}", headers=svc.flow.risk).json()
    figures = region["figures"]
    assert figures["active_loans"] == 3 and figures["overdue_loans"] == 1
    expected = D(svc.loan(loans[0]["id"])["principal_outstanding"]) / D(figures["balance"])
    assert D(figures["overdue_ratio"]) == expected.quantize(D("0.000001"))
    assert region["alert"] and region["suspension_recommended"]
    assert all(reason.startswith("4.3") for reason in region["reasons"])
    assert region["lending_status"] == "open"  # a risk manager decides
    confirmed = svc.client.put(
        f"/v1/regions/{svc.flow.region}/lending-status",
        headers=svc.flow.risk,
        json={"status": "suspended", "reason": "逾期率畸高"},
    )
    assert confirmed.json()["lending_status"] == "suspended"
    assert_problem(
        svc.client.put(
            f"/v1/regions/{svc.flow.region}/lending-status",
            headers=svc.flow.officer,
            json={"status": "open", "reason": "x"},
        ),
        403,
    )
    # Loans already there are serviced as usual.
    svc.close_through(first_due + timedelta(days=3))
    assert svc.loan(loans[1]["id"])["status"] == "active"
