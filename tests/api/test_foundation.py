"""Foundation over real HTTP: auth, problem details, idempotency, unit of work, audit, health."""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import psycopg
import pytest
from openapi_spec_validator import validate

from app.core.auth import Role, issue_token
from app.core.settings import DEV_JWT_SECRET, Environment, Settings

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def _token(claims: dict[str, object], key: str = DEV_JWT_SECRET, alg: str = "HS256") -> str:
    base: dict[str, object] = {
        "sub": "mallory",
        "roles": ["auditor"],
        "regions": ["*"],
        "iss": "bangfu",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    return jwt.encode({**base, **claims}, key, algorithm=alg)


def _alg_none_token() -> str:
    import base64
    import json

    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    claims = {"sub": "mallory", "roles": ["admin"], "regions": ["*"], "iss": "bangfu", "exp": exp}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


BAD_TOKENS = {
    "missing": None,
    "not a jwt": "Bearer not-a-jwt",
    "wrong scheme": "Basic " + _token({}),
    "wrong signature": "Bearer " + _token({}, key="another-secret-another-secret-123456"),
    "expired": "Bearer " + _token({"exp": datetime.now(UTC) - timedelta(seconds=31)}),
    "alg none": "Bearer " + _alg_none_token(),
    "wrong issuer": "Bearer " + _token({"iss": "someone-else"}),
    "unknown role": "Bearer " + _token({"roles": ["superuser"]}),
    "no roles": "Bearer " + _token({"roles": []}),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_get_401(client: httpx.Client, kind: str) -> None:
    value = BAD_TOKENS[kind]
    headers = {"Authorization": value} if value else {}
    body = assert_problem(client.get("/v1/audit-events", headers=headers), 401)
    assert "令牌" in str(body["detail"])  # Chinese unless English is asked for


def test_a_token_accepted_before_it_expires_is_refused_after(client: httpx.Client) -> None:
    # Verified tokens are memoised; the expiry must still be enforced on every request, with
    # 30 s of clock skew allowed: a token 28 s past its expiry passes, 30 s past it does not.
    expires = int(time.time()) - 28
    headers = {"Authorization": "Bearer " + _token({"exp": expires})}
    assert client.get("/v1/audit-events", headers=headers).status_code == 200
    time.sleep(max(0.0, expires + 30 - time.time()) + 0.1)
    body = assert_problem(client.get("/v1/audit-events", headers=headers), 401)
    assert body["detail"] == "令牌已过期"
    english = client.get("/v1/audit-events", headers={**headers, "Accept-Language": "en"})
    assert assert_problem(english, 401)["detail"] == "The token has expired"


def test_role_not_allowed_gets_403(client: httpx.Client, auth) -> None:
    assert_problem(client.get("/v1/audit-events", headers=auth(Role.loan_officer)), 403)
    assert client.get("/v1/audit-events", headers=auth(Role.auditor)).status_code == 200
    assert client.get("/v1/audit-events", headers=auth(Role.admin)).status_code == 200


def test_record_outside_region_scope_is_404(client: httpx.Client, auth) -> None:
    officer = auth(Role.loan_officer, regions=["5201"])
    assert client.get("/_test/regional/520102", headers=officer).status_code == 200
    body = assert_problem(client.get("/_test/regional/530102", headers=officer), 404)
    assert "530102" not in str(body["detail"])
    national = auth(Role.loan_officer, regions=["*"])
    assert client.get("/_test/regional/530102", headers=national).status_code == 200
    assert_problem(client.get("/_test/regional/520102", headers=auth(Role.auditor)), 403)


def test_unknown_path_is_problem_404(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/no-such-thing"), 404)


def test_wrong_method_is_problem_405(client: httpx.Client, auth) -> None:
    response = client.delete("/health/live")
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]
    # a literal path beside a templated one (/v1/applications/{application_id}) is its own
    for method in ("OPTIONS", "GET"):  # GET would reach /{application_id} with "trials"
        literal = client.request(method, "/v1/applications/trials", headers=auth(Role.loan_officer))
        assert_problem(literal, 405)
        assert literal.headers["allow"] == "POST"


def test_validation_error_lists_fields(client: httpx.Client, auth) -> None:
    response = client.get("/v1/audit-events", params={"limit": 0}, headers=auth(Role.auditor))
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "limit"]


def test_malformed_json_is_422_not_500(client: httpx.Client, auth) -> None:
    response = client.post(
        "/_test/writes",
        content=b"{not json",
        headers={**auth(Role.admin), "content-type": "application/json"},
    )
    assert_problem(response, 422)


def test_internal_error_is_problem_500_without_internals(client: httpx.Client) -> None:
    response = client.get("/_test/boom")
    body = assert_problem(response, 500)
    text = response.text
    for secret in ("hunter2", "postgresql://", "520102199001011234", "RuntimeError", "Traceback"):
        assert secret not in text
    assert body["request_id"] == response.headers["x-request-id"]


def test_request_id_is_echoed(client: httpx.Client) -> None:
    assert (
        client.get("/health/live", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    generated = client.get("/health/live").headers["x-request-id"]
    assert uuid.UUID(generated)


def test_health_and_metrics(client: httpx.Client) -> None:
    assert client.get("/health/live").json()["status"] == "ok"
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert client.get("/metrics").status_code == 401  # not public
    officer = {"Authorization": f"Bearer {issue_token('o', [Role.loan_officer], ['*'])}"}
    assert client.get("/metrics", headers=officer).status_code == 403
    admin = {"Authorization": f"Bearer {issue_token('ops', [Role.admin], ['*'])}"}
    metrics = client.get("/metrics", headers=admin)
    assert metrics.status_code == 200
    for name in (
        "bangfu_http_requests_total",
        "bangfu_outbox_pending",
        "bangfu_outbox_oldest_pending_age_seconds",
        "bangfu_eod_lag_days",
    ):
        assert name in metrics.text


def test_openapi_is_valid_3_1(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert client.get("/docs").status_code == 200


def _audit_notes(client: httpx.Client, auth, note: str) -> list[dict[str, object]]:
    page = client.get(
        "/v1/audit-events",
        params={"entity_type": "test", "entity_id": note},
        headers=auth(Role.auditor),
    )
    return page.json()["items"]


def test_idempotent_replay_returns_first_answer_and_writes_once(client: httpx.Client, auth) -> None:
    headers = {**auth(Role.loan_officer, sub="officer-a"), "Idempotency-Key": str(uuid.uuid4())}
    note = f"replay-{uuid.uuid4()}"
    first = client.post("/_test/writes", json={"note": note}, headers=headers)
    second = client.post("/_test/writes", json={"note": note}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len(_audit_notes(client, auth, note)) == 1


def test_idempotency_keys_are_per_caller(client: httpx.Client, auth) -> None:
    key = str(uuid.uuid4())
    note = f"per-caller-{uuid.uuid4()}"
    for sub in ("officer-a", "officer-b"):
        headers = {**auth(Role.loan_officer, sub=sub), "Idempotency-Key": key}
        response = client.post("/_test/writes", json={"note": note}, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert len(_audit_notes(client, auth, note)) == 2


def test_same_key_with_another_body_is_422(client: httpx.Client, auth) -> None:
    headers = {**auth(Role.loan_officer), "Idempotency-Key": str(uuid.uuid4())}
    assert client.post("/_test/writes", json={"note": "one"}, headers=headers).status_code == 201
    assert_problem(client.post("/_test/writes", json={"note": "two"}, headers=headers), 422)


def test_same_json_in_another_key_order_replays(client: httpx.Client, auth) -> None:
    headers = {
        **auth(Role.loan_officer),
        "Idempotency-Key": str(uuid.uuid4()),
        "content-type": "application/json",
    }
    first = client.post(
        "/_test/writes", content=b'{"note":"k","region_code":"5201"}', headers=headers
    )
    again = client.post(
        "/_test/writes", content=b'{ "region_code": "5201", "note": "k" }', headers=headers
    )
    assert first.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"


def test_concurrent_duplicate_is_409_and_writes_once(live_server: str, auth) -> None:
    headers = {**auth(Role.loan_officer), "Idempotency-Key": str(uuid.uuid4())}
    note = f"race-{uuid.uuid4()}"
    results: dict[str, httpx.Response] = {}

    def send(name: str, delay: float) -> None:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            threading.Event().wait(delay)
            results[name] = c.post(
                "/_test/writes", json={"note": note, "sleep_seconds": 1.0}, headers=headers
            )

    threads = [
        threading.Thread(target=send, args=("first", 0)),
        threading.Thread(target=send, args=("second", 0.3)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["first"].status_code == 201
    assert_problem(results["second"], 409)
    with httpx.Client(base_url=live_server) as c:
        assert len(_audit_notes(c, auth, note)) == 1
        # After the first has finished, the same request replays.
        replay = c.post("/_test/writes", json={"note": note, "sleep_seconds": 1.0}, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true"


def test_refused_request_writes_nothing_and_does_not_burn_the_key(
    client: httpx.Client, auth
) -> None:
    headers = {**auth(Role.loan_officer), "Idempotency-Key": str(uuid.uuid4())}
    note = f"refused-{uuid.uuid4()}"
    refused = client.post(
        "/_test/writes", json={"note": note, "fail_after_write": True}, headers=headers
    )
    assert_problem(refused, 409)
    assert _audit_notes(client, auth, note) == []


def test_audit_events_are_append_only_in_the_database(
    client: httpx.Client, auth, database_url: str
) -> None:
    note = f"immutable-{uuid.uuid4()}"
    client.post("/_test/writes", json={"note": note}, headers=auth(Role.loan_officer))
    with psycopg.connect(database_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_events SET actor = 'forged' WHERE entity_id = %s", (note,))
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_events WHERE entity_id = %s", (note,))
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE audit_events")


def test_audit_events_filter_and_paginate(client: httpx.Client, auth) -> None:
    note = f"page-{uuid.uuid4()}"
    for _ in range(3):
        client.post(
            "/_test/writes",
            json={"note": note, "region_code": "520102"},
            headers=auth(Role.loan_officer, sub="pager"),
        )
    seen: list[int] = []
    cursor = None
    while True:
        params = {"entity_type": "test", "entity_id": note, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit-events", params=params, headers=auth(Role.auditor)).json()
        seen += [item["id"] for item in page["items"]]
        assert all(item["actor"] == "pager" for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 and seen == sorted(seen, reverse=True)
    outside = client.get(
        "/v1/audit-events", params={"entity_id": note}, headers=auth(Role.auditor, regions=["53"])
    )
    assert outside.json()["items"] == []
    assert_problem(
        client.get("/v1/audit-events", params={"cursor": "!!"}, headers=auth(Role.auditor)), 422
    )


def test_logs_mask_identifiers_and_tokens(client: httpx.Client) -> None:
    formatter = logging.getLogger().handlers[0].formatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
    try:
        token = issue_token("x", [Role.admin], ["*"])
        client.get("/_test/boom", headers={"Authorization": f"Bearer {token}"})
        logging.getLogger("bangfu.test").info(
            "member 520102199001011234 phone 13812345678 token Bearer %s", token
        )
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "unhandled_error" in logged
    assert "5201**********1234" in logged
    for secret in ("520102199001011234", "13812345678", token):
        assert secret not in logged


def test_production_refuses_development_secrets() -> None:
    import base64
    import os

    keys = {
        "data_encryption_key": base64.b64encode(os.urandom(32)).decode(),
        "data_hash_key": base64.b64encode(os.urandom(32)).decode(),
        "allow_future_business_dates": False,
        "simulated_today": None,
        "bank_name": "某县农村商业银行",
    }
    with pytest.raises(ValueError, match="development JWT secret"):
        Settings(environment=Environment.production, jwt_secret=DEV_JWT_SECRET, **keys)
    with pytest.raises(ValueError, match="DATA_ENCRYPTION_KEY"):
        Settings(
            environment=Environment.production,
            jwt_secret="x" * 48,
            allow_future_business_dates=False,
            simulated_today=None,
        )
    with pytest.raises(ValueError, match="SIMULATED_TODAY"):
        Settings(
            environment=Environment.production,
            jwt_secret="x" * 48,
            **{**keys, "simulated_today": "2027-03-10"},
        )
    with pytest.raises(ValueError, match="simulations"):
        Settings(
            environment=Environment.production,
            jwt_secret="x" * 48,
            **{**keys, "allow_future_business_dates": True},
        )
    with pytest.raises(ValueError, match="BANK_NAME"):
        Settings(
            environment=Environment.production, jwt_secret="x" * 48, **{**keys, "bank_name": " "}
        )
    ok = Settings(environment=Environment.production, jwt_secret="x" * 48, **keys)
    assert ok.environment is Environment.production


def test_no_vendored_asset_loads_anything_from_the_internet() -> None:
    """The pages' scripts and styles themselves: an image, script, style or fetch they name
    must be the service's own (a link a person may click is not a load)."""
    import re
    from pathlib import Path

    loads = re.compile(
        r"""(?:\bsrc\s*[:=]\s*|url\(\s*|\bimport\(\s*|\bfetch\(\s*)['"]?(https?://[^'")\s]+)"""
    )
    static = Path(__file__).parents[2] / "app" / "static"
    found = {
        f"{path.relative_to(static)}: {url}"
        for path in static.rglob("*")
        if path.suffix in {".js", ".css", ".html", ".svg"}
        for url in loads.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert found == set()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_nothing_from_the_internet(client: httpx.Client, path: str) -> None:
    """An intranet has no CDN: /docs and /redoc name only the service's own assets, and they
    are served, byte for byte the vendored files."""
    import re
    from pathlib import Path

    page = client.get(path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    addresses = re.findall(r"""(?:src|href|spec-url)=['"]([^'"]+)['"]""", page.text)
    assert addresses and all(a.startswith("/") for a in addresses), addresses
    assert "https://" not in page.text and "http://" not in page.text
    if path == "/docs":
        assert '"validatorUrl": null' in page.text
    static = Path(__file__).parents[2] / "app"
    for address in addresses:
        asset = client.get(address)
        assert asset.status_code == 200, address
        if address.startswith("/static/"):
            assert asset.content == (static / address.lstrip("/")).read_bytes()
    assert "fonts.googleapis.com" not in page.text
