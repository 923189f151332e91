"""The three policy trial endpoints over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from app.core.auth import Role
from tests.api.test_foundation import assert_problem

ELIGIBLE = {
    "application_date": "2026-06-01",
    "applicant": {
        "birth_date": "1980-05-10",
        "full_civil_capacity": True,
        "major_bad_credit_record": False,
        "has_labor_skills": True,
    },
    "household": {
        "roster_status": "monitoring_target",
        "region_code": "520102",
        "has_outstanding_assistance_loan": False,
        "region_suspended": False,
    },
    "rating": {"grade": "A", "credit_limit": "80000.00", "valid_until": "2027-05-31"},
    "loan": {
        "amount": "50000.00",
        "term_months": 24,
        "purpose": "livestock",
        "large_production": False,
        "guarantee_required": False,
    },
}


@pytest.fixture()
def officer(auth) -> dict[str, str]:
    return auth(Role.loan_officer, regions=["5201"])


def test_eligibility_trial_lists_every_rule_with_its_clause(client: httpx.Client, officer) -> None:
    response = client.post("/v1/policy/eligibility", json=ELIGIBLE, headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["eligible"] is True
    assert body["policy_version"] == "ASSIST_2026"
    assert len(body["rules"]) == 13
    assert all(rule["passed"] and rule["clause"] and rule["message_zh"] for rule in body["rules"])


def test_eligibility_trial_reports_all_failures_at_once(client: httpx.Client, officer) -> None:
    body = {
        **ELIGIBLE,
        "household": {**ELIGIBLE["household"], "roster_status": "removed"},
        "loan": {**ELIGIBLE["loan"], "amount": "100000.01", "purpose": "housing"},
        "rating": None,
    }
    result = client.post("/v1/policy/eligibility", json=body, headers=officer).json()
    assert result["eligible"] is False
    failed = {(r["code"], r["clause"]) for r in result["rules"] if not r["passed"]}
    assert failed == {
        ("roster_status", "1.1"),
        ("amount_within_cap", "1.2"),
        ("productive_purpose", "1.8"),
        ("rating_valid", "1.9"),
        ("credit_line_covers_amount", "1.9"),
    }


def test_subsidy_trial(client: httpx.Client, officer) -> None:
    response = client.post(
        "/v1/policy/subsidy",
        headers=officer,
        json={
            "annual_rate": "0.0435",
            "amount": "80000.00",
            "large_production": True,
            "contract_date": "2026-06-01",
            "local_subsidy_rate": "0.01",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "policy_version": "ASSIST_2026",
        "central_subsidy_rate": "0.025",
        "local_subsidy_rate": "0.01",
        "borrower_rate_on_subsidised": "0.0085",
        "subsidised_principal": "80000.00",
        "unsubsidised_principal": "0.00",
        "warnings": [],
    }


def test_subsidy_trial_caps_the_local_rate_and_warns(client: httpx.Client, officer) -> None:
    body = client.post(
        "/v1/policy/subsidy",
        headers=officer,
        json={
            "annual_rate": "0.03",
            "amount": "60000",
            "contract_date": "2026-02-24",
            "local_subsidy_rate": "0.02",
        },
    ).json()
    assert body["central_subsidy_rate"] == "0.021"
    assert body["local_subsidy_rate"] == "0.009"
    assert body["subsidised_principal"] == "50000.00"
    assert body["unsubsidised_principal"] == "10000.00"
    assert [w.split(":")[0] for w in body["warnings"]] == [
        "local_rate_capped",
        "borrower_bears_no_interest",
    ]


def test_subsidy_trial_for_a_legacy_contract_date_is_409(client: httpx.Client, officer) -> None:
    response = client.post(
        "/v1/policy/subsidy",
        headers=officer,
        json={"annual_rate": "0.0435", "amount": "50000", "contract_date": "2026-02-23"},
    )
    body = assert_problem(response, 409)
    assert body["rules"][0]["clause"] == "5.2"


def test_schedule_trial_with_subsidy_shares(client: httpx.Client, officer) -> None:
    response = client.post(
        "/v1/policy/schedule",
        headers=officer,
        json={
            "principal": "10000.00",
            "annual_rate": "0.12",
            "term_months": 12,
            "method": "equal_installment",
            "start_date": "2026-03-31",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["instalments"]
    # the earlier spelling answers too, for one version (deprecated in the API document)
    assert body["installments"] == rows
    assert [r["due_date"] for r in rows[:3]] == ["2026-04-30", "2026-05-31", "2026-06-30"]
    assert rows[0]["payment"] == "888.49" and rows[0]["interest"] == "100.00"
    # 100.00 of interest at 12%: central 2.5 points → 20.83, borrower the rest.
    assert (rows[0]["central_subsidy"], rows[0]["local_subsidy"], rows[0]["borrower_interest"]) == (
        "20.83",
        "0.00",
        "79.17",
    )
    assert (
        sum(Decimal(r["principal"]) for r in rows)
        == Decimal(body["total_principal"])
        == (Decimal("10000.00"))
    )
    assert rows[-1]["remaining_principal"] == "0.00"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/policy/schedule",
            {
                "principal": 10000.0,
                "annual_rate": "0.04",
                "term_months": 12,
                "method": "bullet",
                "start_date": "2026-03-01",
            },
        ),
        (
            "/v1/policy/schedule",
            {
                "principal": "10000",
                "annual_rate": 0.04,
                "term_months": 12,
                "method": "bullet",
                "start_date": "2026-03-01",
            },
        ),
        (
            "/v1/policy/schedule",
            {
                "principal": "10000",
                "annual_rate": "0.04",
                "term_months": 37,
                "method": "bullet",
                "start_date": "2026-03-01",
            },
        ),
        (
            "/v1/policy/schedule",
            {
                "principal": "10000",
                "annual_rate": "0.04",
                "term_months": 12,
                "method": "bullet",
                "start_date": "2026-02-30",
            },
        ),
        (
            "/v1/policy/schedule",
            {
                "principal": "10000",
                "annual_rate": "0.04",
                "term_months": 12,
                "method": "bullet",
                "start_date": "9999-12-31",
            },
        ),
        (
            "/v1/policy/schedule",
            {
                "principal": "-5",
                "annual_rate": "0.04",
                "term_months": 12,
                "method": "bullet",
                "start_date": "2026-03-01",
            },
        ),
        (
            "/v1/policy/subsidy",
            {"annual_rate": "0.04", "amount": "1e5", "contract_date": "2026-03-01"},
        ),
        ("/v1/policy/eligibility", {**ELIGIBLE, "loan": {**ELIGIBLE["loan"], "amount": 50000}}),
        ("/v1/policy/eligibility", {**ELIGIBLE, "loan": {**ELIGIBLE["loan"], "purpose": "x"}}),
    ],
)
def test_malformed_trials_are_422_naming_the_field(
    client: httpx.Client, officer, path: str, body: dict[str, object]
) -> None:
    problem = assert_problem(client.post(path, json=body, headers=officer), 422)
    assert problem["errors"] and all(e["loc"][0] == "body" for e in problem["errors"])


def test_trials_need_a_token(client: httpx.Client) -> None:
    assert_problem(client.post("/v1/policy/schedule", json={}), 401)


def test_trials_are_documented_with_examples(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for name in ("EligibilityTrialIn", "SubsidyTrialIn", "ScheduleTrialIn"):
        assert spec["components"]["schemas"][name]["examples"]
    responses = spec["paths"]["/v1/policy/subsidy"]["post"]["responses"]
    assert {"200", "401", "409", "422"} <= responses.keys()


def test_installments_is_a_deprecated_alias_of_instalments_in_the_api_document(
    client: httpx.Client,
) -> None:
    """Issue 27: one spelling, `instalment`; the earlier `installments` of the trial schedule
    stays one version, marked deprecated; enum codes such as `equal_installment` stay."""
    doc = client.get("/openapi.json").json()
    trial = doc["components"]["schemas"]["TrialScheduleOut"]["properties"]
    assert trial["installments"]["deprecated"] is True
    assert "deprecated" not in trial["instalments"]
    schema = doc["components"]["schemas"]["TrialScheduleOut"]
    del trial["installments"]
    schema["required"].remove("installments")
    spelled = json.dumps(doc)
    assert "nstallment" not in spelled.replace("equal_installment", "")
