"""Hostile input: never a 500, a clean problem-details refusal, and nothing written."""

from __future__ import annotations

import json
import uuid

import httpx
import psycopg
import pytest

from app.core.auth import Role
from tests.api.factories import Origination, Person, headers, id_number
from tests.api.test_foundation import assert_problem

INJECTIONS = [
    "Robert'); DROP TABLE members;--",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "${jndi:ldap://x/a}",
    "../../etc/passwd",
    "𠀀𪚥 ﷽ \u202e",
]


def count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture()
def officer() -> dict[str, str]:
    return headers(Role.loan_officer, sub="hostile", regions=["*"])


def household_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "region_code": "520102",
        "address": "某村",
        "disbursement_account": "6217001234567890",
        "members": [{"name": "张三", "id_number": id_number(), "relation": "head"}],
    }
    return {**body, **overrides}


CASES = {
    "oversized body": (b'{"address": "' + b"x" * 2_000_000 + b'"}', 413),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, 422),
    "not UTF-8": (b'{"address": "\xff\xfe\xfa"}', 422),
    "not JSON": (b"region_code=520102&address=x", 422),
    "NUL in text": (b'{"region_code": "520102", "address": "a\\u0000b", "members": []}', 422),
    "lone surrogate": (b'{"region_code": "520102", "address": "\\ud800", "members": []}', 422),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_bodies_are_refused_and_write_nothing(
    case: str, client: httpx.Client, officer: dict[str, str], database_url: str
) -> None:
    body, status = CASES[case]
    before = count(database_url, "households")
    answer = client.post(
        "/v1/households", content=body, headers={**officer, "content-type": "application/json"}
    )
    assert_problem(answer, status)
    assert count(database_url, "households") == before


@pytest.mark.parametrize(
    "text",
    [
        b'"a\\u0000b"',
        b'"\\ud800"',
        b'"\\uDFFF"',  # upper case
        b'"x\xed\xa0\x80"',  # a surrogate encoded as UTF-8
        b'"\\ud83d\\ude00\\udc00"',  # a pair, then a lone low one
    ],
)
def test_text_postgresql_cannot_store_is_refused_at_the_door(
    text: bytes, client: httpx.Client, officer: dict[str, str], database_url: str
) -> None:
    """A household that is valid but for one text: refused by the door itself (its words),
    however the text is written, and nothing written."""
    before = count(database_url, "households")
    body = json.dumps(household_body(address="@")).encode().replace(b'"@"', text)
    answer = client.post(
        "/v1/households",
        content=body,
        headers={**officer, "content-type": "application/json", "accept-language": "en"},
    )
    assert "NUL characters or unpaired surrogates" in str(assert_problem(answer, 422)["detail"])
    assert count(database_url, "households") == before


def test_a_surrogate_pair_and_an_escaped_backslash_pass_the_door(
    client: httpx.Client, officer: dict[str, str]
) -> None:
    body = json.dumps(household_body(address="@")).encode()
    body = body.replace(b'"@"', b'"\\ud83d\\ude00 \\\\u0000"')  # an emoji, then text "\u0000"
    answer = client.post(
        "/v1/households", content=body, headers={**officer, "content-type": "application/json"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["address"] == "\U0001f600 \\u0000"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 50000.0),  # a float for money
        ("amount", "-5.00"),
        ("amount", "1e5"),
        ("amount", "99999999999999.99"),
        ("amount", "50000.001"),
        ("term_months", 10**30),
        ("term_months", -1),
        ("term_months", True),
        ("purpose", "'; DELETE FROM loans;--"),
    ],
)
def test_bad_numbers_and_enums_are_422(
    field: str, value: object, client: httpx.Client, officer: dict[str, str], database_url: str
) -> None:
    before = count(database_url, "applications")
    body = {
        "household_id": str(uuid.uuid4()),
        "applicant_member_id": str(uuid.uuid4()),
        "amount": "50000.00",
        "term_months": 12,
        "purpose": "livestock",
        "purpose_detail": "x",
        "repayment_method": "bullet",
        field: value,
    }
    problem = assert_problem(client.post("/v1/applications", json=body, headers=officer), 422)
    assert any(field in e["loc"] for e in problem["errors"])
    assert count(database_url, "applications") == before


@pytest.mark.parametrize(
    "day", ["2026-02-30", "2026-13-01", "20260101", "0", "9999-12-31", "2026-1-1", "yesterday"]
)
def test_impossible_dates_are_422(day: str, client: httpx.Client, officer: dict[str, str]) -> None:
    body = {
        "principal": "1000.00",
        "annual_rate": "0.04",
        "term_months": 12,
        "method": "bullet",
        "start_date": day,
    }
    assert_problem(client.post("/v1/policy/schedule", json=body, headers=officer), 422)


def test_injection_payloads_in_every_text_field_are_just_text(
    client: httpx.Client, officer: dict[str, str], database_url: str
) -> None:
    flow = Origination(client)
    for payload in INJECTIONS:
        person = Person(id_number(), name=payload[:100])
        body = household_body(
            address=payload,
            household_number=payload[:40],
            members=[{"name": person.name, "id_number": person.id_number, "relation": "head"}],
        )
        created = client.post("/v1/households", json=body, headers=officer)
        assert created.status_code == 201, created.text
        shown = client.get(f"/v1/households/{created.json()['id']}", headers=officer).json()
        assert (shown["address"], shown["members"][0]["name"]) == (payload, payload[:100])
        application = flow.apply(shown, purpose_detail=payload)
        assert application.status_code == 201
        assert application.json()["purpose_detail"] == payload
    assert count(database_url, "members") > 0  # the tables are all still there


def test_query_strings_and_paths_are_hostile_too(
    client: httpx.Client, officer: dict[str, str]
) -> None:
    reader = headers(Role.auditor, sub="hostile-reader")
    for url, status in [
        ("/v1/audit-events?entity_id=%00", 422),
        ("/v1/audit-events?since=1' OR '1'='1", 422),
        ("/v1/audit-events?limit=-1", 422),
        ("/v1/audit-events?limit=99999999999999999999", 422),
        ("/v1/households/not-a-uuid", 404),
        ("/v1/households/%27%3B%20DROP%20TABLE%20households%3B--", 404),
    ]:
        answer = client.get(url, headers=reader if "audit" in url else officer)
        assert_problem(answer, status)
