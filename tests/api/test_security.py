"""Issue 13, as a bank's red team tried it: region scope in tokens and imports, one identity
per person, least privilege in the database, a name on every change, data at rest and in files,
and input past the limits. Each failed on the code before the change."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import psycopg
import pytest

from app.core import clock, csvsafe
from app.core.auth import Role
from app.core.dbroles import with_role
from app.core.settings import DEV_JWT_SECRET, Environment, Settings
from app.households.schemas import EXAMPLE_RATING
from tests.api.factories import (
    Origination,
    Person,
    Servicing,
    headers,
    id_number,
    own_county,
    roster_csv,
)
from tests.api.test_foundation import assert_problem
from tests.conftest import SERVICE_ROLE

ROOT = Path(__file__).resolve().parents[2]


def token(**claims: object) -> dict[str, str]:
    base: dict[str, object] = {
        "sub": "mallory",
        "roles": ["loan_officer", "auditor"],
        "regions": ["5201"],
        "iss": "bangfu",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    body = {k: v for k, v in {**base, **claims}.items() if v is not ...}
    return {"Authorization": "Bearer " + jwt.encode(body, DEV_JWT_SECRET, algorithm="HS256")}


# --- region scope in the token (high) ----------------------------------------------------------


@pytest.mark.parametrize(
    "regions",
    [..., [], "52", ["_"], ["%"], [52], ["52", None], ["5201 "], [""], {"52": True}],
    ids=[
        "missing",
        "empty",
        "string",
        "underscore",
        "percent",
        "number",
        "null",
        "space",
        "blank",
        "object",
    ],
)
def test_a_token_without_a_sane_regions_claim_is_401(client: httpx.Client, regions: object) -> None:
    for path in ("/v1/loans", "/v1/applications", "/v1/audit-events", "/v1/monitoring/due-visits"):
        body = assert_problem(client.get(path, headers=token(regions=regions)), 401)
        assert "地区" in str(body["detail"])


def test_subjects_are_one_person_whatever_the_case_spacing_or_width(svc: Servicing) -> None:
    flow = svc.flow
    _, household = flow.ready_household()
    maker = headers(Role.loan_officer, sub="rt-alice", regions=[flow.region[:4]])
    submitted = svc.client.post(
        "/v1/applications",
        headers=maker,
        json={
            "household_id": household["id"],
            "applicant_member_id": household["members"][0]["id"],
            "amount": "10000.00",
            "term_months": 12,
            "purpose": "livestock",
            "purpose_detail": "养牛",
            "repayment_method": "equal_installment",
        },
    )
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["id"]
    flow.investigate(application_id)
    for alias in ("RT-ALICE", " rt-alice", "ｒｔ－ａｌｉｃｅ"):  # case, space, full width (NFKC)
        checker = headers(Role.credit_reviewer, sub=alias, regions=[flow.region[:4]])
        refused = flow.approve(application_id, amount="10000.00", by=checker)
        assert_problem(refused, 409)
        assert {(r["code"], r["clause"]) for r in refused.json()["rules"]} == {
            ("maker_checker", "4.1")
        }
    for hidden in ("rt-alice\u200b", "rt-\u202ealice", "   ", "rt\x00alice"):
        body = assert_problem(svc.client.get("/v1/loans", headers=token(sub=hidden)), 401)
        assert "主体" in str(body["detail"])


def test_thirty_seconds_of_clock_skew_are_allowed(client: httpx.Client) -> None:
    now = datetime.now(UTC)
    soon = token(nbf=now + timedelta(seconds=20), iat=now + timedelta(seconds=20))
    assert client.get("/v1/audit-events", headers=soon).status_code == 200
    later = token(nbf=now + timedelta(seconds=90))
    assert_problem(client.get("/v1/audit-events", headers=later), 401)


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("52")))


# --- imports and the batch act only inside the caller's regions --------------------------------


def test_a_roster_import_with_a_row_outside_the_callers_regions_writes_nothing(
    client: httpx.Client, database_url: str
) -> None:
    ours, theirs = own_county("52"), own_county("53")
    risk = headers(Role.risk_manager, sub="risk-52", regions=["52"])
    mine, other = Person(id_number(ours)), Person(id_number(theirs))
    rows = [
        {
            "id_number": p.id_number,
            "name": "张三",
            "household_number": f"HH-{uuid.uuid4().hex[:8]}",
            "region_code": county,
            "category": "monitoring_target",
            "listed_date": "2025-01-15",
        }
        for p, county in ((mine, ours), (other, theirs))
    ]
    refused = client.post(
        "/v1/roster/imports",
        content=roster_csv(rows).encode(),
        headers={**risk, "content-type": "text/csv"},
    )
    body = assert_problem(refused, 403)
    assert body["errors"] == [
        {"loc": ["line 3"], "msg": "不在您的管辖地区内", "type": "region_scope"}
    ]
    with psycopg.connect(database_url) as conn:
        listed = conn.execute(
            "SELECT count(*) FROM roster_entries WHERE region_code IN (%s, %s)", (ours, theirs)
        ).fetchone()[0]
    assert listed == 0

    # A person listed in 53 cannot be taken off the roster by 52, whatever county the file says.
    national = headers(Role.risk_manager, sub="risk-national")
    assert (
        client.post(
            "/v1/roster/imports",
            content=roster_csv([rows[1]]).encode(),
            headers={**national, "content-type": "text/csv"},
        ).status_code
        == 201
    )
    removal = {**rows[1], "region_code": ours, "removed_date": clock.today().isoformat()}
    refused = client.post(
        "/v1/roster/imports",
        content=roster_csv([removal]).encode(),
        headers={**risk, "content-type": "text/csv"},
    )
    assert assert_problem(refused, 403)["errors"][0]["loc"] == ["line 2"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT region_code, removed_date FROM roster_entries WHERE region_code = %s",
            (theirs,),
        ).fetchone()
    assert row == (theirs, None)


def test_a_legacy_import_outside_the_callers_regions_writes_nothing(
    client: httpx.Client, database_url: str
) -> None:
    theirs = own_county("53")
    person = Person(id_number(theirs))
    admin = headers(Role.admin, sub="admin-52", regions=["52"])
    item = {
        "external_ref": f"TPR-{uuid.uuid4().hex[:10]}",
        "borrower": {"name": "李四", "id_number": person.id_number},
        "region_code": theirs,
        "address": "某村",
        "disbursement_account": "6217009876543210",
        "principal": "20000.00",
        "annual_rate": "0.03",
        "term_months": 12,
        "repayment_method": "interest_then_principal",
        "purpose": "planting",
        "signed_on": "2025-12-15",
        "value_date": "2025-12-15",
        "central_subsidy_rate": "0.02",
        "local_subsidy_rate": "0.005",
        "subsidised_principal": "20000.00",
        "instalments_paid": 10,
        "renewals_or_extensions": 0,
    }
    refused = client.post(
        "/v1/legacy-loans/imports", headers=admin, json={"as_of": "2026-11-20", "loans": [item]}
    )
    assert assert_problem(refused, 403)["errors"][0]["loc"] == ["loans", 0, "region_code"]
    with psycopg.connect(database_url) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM loans WHERE external_ref = %s", (item["external_ref"],)
            ).fetchone()[0]
            == 0
        )


def test_the_batch_closes_only_the_callers_regions_and_leaves_a_name(
    client: httpx.Client,
) -> None:
    ours = Servicing(Origination(client, region=own_county("52")))
    theirs = Servicing(Origination(client, region=own_county("53")))
    today = clock.today()
    mine, other = ours.active_loan(today), theirs.active_loan(today)
    admin = headers(Role.admin, sub="ops-52", regions=[ours.flow.region])
    outside = client.post(
        "/v1/batches/eod",
        headers=admin,
        json={"business_date": today.isoformat(), "regions": [theirs.flow.region]},
    )
    assert_problem(outside, 403)
    ran = client.post("/v1/batches/eod", headers=admin, json={"business_date": today.isoformat()})
    assert ran.status_code == 200, ran.text
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert ours.loan(mine["id"])["business_date"] == tomorrow
    assert theirs.loan(other["id"])["business_date"] == today.isoformat()
    events = client.get(
        "/v1/audit-events",
        headers=headers(Role.auditor, sub="auditor"),
        params={"entity_type": "batch"},
    ).json()["items"]
    run = next(e for e in events if e["actor"] == "ops-52")
    assert run["action"] == "batch.eod"
    assert run["after"]["closed"] == {ours.flow.region: [today.isoformat(), today.isoformat()]}
    assert run["after"]["scope"] == [ours.flow.region]


def test_a_repayment_replay_checks_the_loans_region_first(svc: Servicing) -> None:
    loan = svc.active_loan(clock.today())
    txn = f"R-{uuid.uuid4()}"
    first = svc.repay(loan["id"], "10.00", clock.today(), txn)
    assert first.status_code == 201, first.text
    elsewhere = headers(Role.core_banking, sub="core-53", regions=["53"])
    replay = svc.client.post(
        f"/v1/loans/{loan['id']}/repayments",
        headers=elsewhere,
        json={"core_transaction_id": txn, "amount": "10.00", "value_date": str(clock.today())},
    )
    assert_problem(replay, 404)
    # the same transaction id sent by another region's core banking to its own loan: 404 too
    other = Servicing(Origination(svc.client, region=own_county("53")))
    theirs = other.active_loan(clock.today())
    reused = svc.client.post(
        f"/v1/loans/{theirs['id']}/repayments",
        headers=elsewhere,
        json={"core_transaction_id": txn, "amount": "10.00", "value_date": str(clock.today())},
    )
    body = assert_problem(reused, 404)
    assert txn not in json.dumps(body)


# --- least privilege in the database (medium) --------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'nobody'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "SET session_replication_role = replica",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "DROP TABLE audit_events",
        "CREATE TABLE shadow (id int)",
        "ALTER TABLE audit_events OWNER TO CURRENT_USER",
    ],
)
def test_the_service_role_cannot_rewrite_the_audit_trail(
    database_url: str, client: httpx.Client, statement: str
) -> None:
    client.get("/v1/audit-events", headers=headers(Role.auditor, sub="auditor"))
    service = with_role(database_url, SERVICE_ROLE)
    with psycopg.connect(service) as conn:
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] > 0
        assert conn.execute("SELECT current_user").fetchone()[0] == SERVICE_ROLE
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_the_service_role_may_append_to_the_audit_trail(database_url: str) -> None:
    with psycopg.connect(with_role(database_url, SERVICE_ROLE)) as conn:
        conn.execute(
            "INSERT INTO audit_events (actor, actor_role, action, entity_type, entity_id)"
            " VALUES ('t', 'auditor', 'test.append', 'test', '1')"
        )
        conn.rollback()


# --- every change leaves a name (medium) -------------------------------------------------------


def test_re_evaluation_is_an_officers_action_before_the_decision_and_is_audited(
    svc: Servicing,
) -> None:
    flow = svc.flow
    _, household = flow.ready_household()
    application_id = flow.apply(household).json()["id"]
    auditor = headers(Role.auditor, sub="auditor")
    assert_problem(
        svc.client.post(f"/v1/applications/{application_id}/eligibility", headers=auditor), 403
    )
    again = svc.client.post(f"/v1/applications/{application_id}/eligibility", headers=flow.reviewer)
    assert again.status_code == 200, again.text
    flow.investigate(application_id)
    assert flow.approve(application_id).status_code == 200
    assert_problem(
        svc.client.post(f"/v1/applications/{application_id}/eligibility", headers=flow.officer),
        409,
    )
    events = svc.client.get(
        "/v1/audit-events", headers=auditor, params={"entity_id": application_id}
    ).json()["items"]
    assert [e["actor"] for e in events if e["action"] == "application.re_evaluate"] == [
        f"reviewer-{flow.tag}"
    ]


def test_the_audit_trail_keeps_the_request_id_the_response_carried(svc: Servicing) -> None:
    _, household = svc.flow.ready_household()
    request_id = "branch-0521.req_77"
    rated = svc.client.post(
        f"/v1/households/{household['id']}/ratings",
        headers={**svc.flow.officer, "X-Request-ID": request_id},
        json=EXAMPLE_RATING,
    )
    assert rated.headers["x-request-id"] == request_id
    listed = svc.client.get(
        "/v1/audit-events",
        headers=headers(Role.auditor, sub="auditor"),
        params={"entity_id": rated.json()["id"]},
    )
    assert listed.status_code == 200, listed.text
    events = listed.json()["items"]
    assert [e["request_id"] for e in events] == [request_id]


# --- data at rest and in files (medium) --------------------------------------------------------


def test_the_disbursement_account_is_never_stored_in_plaintext(
    svc: Servicing, database_url: str
) -> None:
    loan = svc.contracted_loan()
    requested = svc.client.post(
        f"/v1/loans/{loan['id']}/disbursements",
        headers={**svc.flow.officer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert requested.status_code == 201
    account = "6217001234567890123"  # the factories' disbursement account
    with psycopg.connect(database_url) as conn:
        (payload,) = conn.execute(
            "SELECT payload FROM outbox WHERE idempotency_key = %s",
            (f"disbursement-{requested.json()['id']}",),
        ).fetchone()
        assert account not in json.dumps(payload)
        assert set(payload["sealed"]) == {"account"}
        # delivered: the sealed account is dropped from the stored payload
        from app.core.db import get_sessionmaker
        from app.integrations import worker

        class Core(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                assert json.loads(request.content)["account"] == account
                return httpx.Response(201, json={"status": "accepted"})

        with httpx.Client(transport=Core()) as core:
            while worker.deliver_one(get_sessionmaker(), core):
                pass
        (payload,) = conn.execute(
            "SELECT payload FROM outbox WHERE idempotency_key = %s",
            (f"disbursement-{requested.json()['id']}",),
        ).fetchone()
    assert "sealed" not in payload and account not in json.dumps(payload)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("−1", "−1"),  # a minus sign that is not ASCII is plain text
    ],
)
def test_csv_cells_that_would_be_formulas_are_neutralised(value: str, safe: str) -> None:
    assert csvsafe.cell(value) == safe


def test_the_claims_csv_neutralises_a_borrower_name_that_is_a_formula(
    client: httpx.Client,
) -> None:
    svc = Servicing(Origination(client, region=own_county("52")))
    person = Person(id_number(svc.flow.region), name="=cmd|'/c calc'!A1")
    svc.flow.import_roster([person])
    household = svc.flow.household([person])
    svc.flow.rate(household["id"])
    application_id = svc.flow.approved_application(household, amount="12000.00")
    loan = svc.flow.sign(application_id).json()["loan"]
    svc.disburse(loan["id"], clock.today())
    end = (clock.today().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    svc.close_through(end)
    answer = client.get(
        "/v1/reports/subsidy-claims",
        headers={**headers(Role.risk_manager, sub="risk"), "Accept": "text/csv"},
        params={"period": f"{end:%Y-%m}", "region": svc.flow.region},
    )
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.text)))
    (line,) = [r for r in rows[1:] if r[2] == loan["id"]]
    assert line[3].startswith("'=cmd")


# --- input past the limits (low) ---------------------------------------------------------------


def test_headers_over_16_kib_are_refused_before_the_token_is_read(client: httpx.Client) -> None:
    big = {f"x-filler-{i}": "a" * 1000 for i in range(17)}
    refused = client.get("/v1/loans", headers={**big, "Authorization": "Bearer not-a-jwt"})
    assert refused.status_code == 431
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_deep_json_is_422_with_or_without_an_idempotency_key(
    client: httpx.Client, svc: Servicing
) -> None:
    deep = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    for extra in ({}, {"Idempotency-Key": str(uuid.uuid4())}):
        for path in ("/v1/applications", "/v1/policy/subsidy", "/v1/households"):
            answer = client.post(
                path,
                content=deep,
                headers={**svc.flow.officer, "content-type": "application/json", **extra},
            )
            assert answer.status_code == 422, (path, extra, answer.status_code)


@pytest.mark.parametrize(
    "value", [[1], "x", 5, None, True, {"id": [1]}, {"id": {"a": 1}}, {"at": 5, "id": 7}]
)
def test_a_forged_cursor_of_any_json_type_is_422(client: httpx.Client, value: object) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    reader = headers(Role.auditor, Role.loan_officer, sub="reader")
    for path in ("/v1/loans", "/v1/applications", "/v1/audit-events"):
        answer = client.get(path, params={"cursor": cursor}, headers=reader)
        assert answer.status_code == 422, (path, value, answer.text[:200])


@pytest.mark.parametrize("amount", ["100.00\n", "100.00 ", " 100.00", "100.00\r\n"])
def test_money_must_match_its_pattern_completely(client: httpx.Client, amount: str) -> None:
    answer = client.post(
        "/v1/policy/subsidy",
        headers=headers(Role.loan_officer, sub="o"),
        json={"annual_rate": "0.0435", "amount": amount, "contract_date": "2026-06-01"},
    )
    assert_problem(answer, 422)


# --- configuration -----------------------------------------------------------------------------


def test_production_refuses_to_start_without_real_secrets() -> None:
    for missing in ("jwt_secret", "data_encryption_key", "data_hash_key"):
        real = {
            "jwt_secret": "x" * 40,
            "data_encryption_key": base64.b64encode(b"k" * 32).decode(),
            "data_hash_key": base64.b64encode(b"h" * 32).decode(),
        }
        del real[missing]
        with pytest.raises(ValueError, match="production"):
            Settings(
                environment=Environment.production, _env_file=None, simulated_today=None, **real
            )


def test_compose_takes_secrets_from_the_environment_never_defaults() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert DEV_JWT_SECRET not in compose
    for name in ("JWT_SECRET", "DATA_ENCRYPTION_KEY", "DATA_HASH_KEY", "DB_APP_PASSWORD"):
        assert f"${{{name}:?" in compose, name
    assert "ENVIRONMENT: production" in compose
    example = (ROOT / ".env.example").read_text()
    for name in ("JWT_SECRET", "DATA_ENCRYPTION_KEY", "DATA_HASH_KEY", "DB_APP_PASSWORD"):
        assert f"{name}=" in example
