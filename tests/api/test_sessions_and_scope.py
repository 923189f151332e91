"""Sessions, headers and the scope of jobs and metrics (issue 26, findings 6 to 8): a console
session ends when its holder signs out, when an administrator revokes it, after 30 minutes
idle and when its token expires, and it is bound to the token's subject, roles and regions;
every answer carries the security headers; a job follows the token presented now; metrics and
national reference data need a national scope."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import psycopg
import pytest

from app.core.auth import Role, issue_token
from app.core.settings import Environment, get_settings
from tests.api.factories import headers, own_county, roster_csv
from tests.api.test_foundation import assert_problem
from tests.api.test_jobs import ASYNC, roster_rows, run_queued_jobs, started

_DEV_SIGN_IN = "/console/sign-in/development"


class Desk:
    """One browser's cookie jar against the live server, writing from its own origin."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)

    def sign_in(self, subject: str, roles: list[str], regions: str) -> httpx.Response:
        return self.http.post(
            _DEV_SIGN_IN,
            data={"subject": subject, "role": roles, "regions": regions},
            headers={"Origin": self.base},
        )

    def sign_in_with(self, token: str) -> httpx.Response:
        return self.http.post(
            "/console/sign-in", data={"token": token}, headers={"Origin": self.base}
        )

    def today(self) -> httpx.Response:
        return self.http.get("/console/")

    @property
    def cookie(self) -> str:
        return str(self.http.cookies.get("bangfu_console"))


@pytest.fixture
def desk(live_server: str) -> Iterator[Desk]:
    d = Desk(live_server)
    yield d
    d.http.close()


def _signed_in(desk: Desk, subject: str, regions: str = "52") -> None:
    answer = desk.sign_in(subject, ["loan_officer"], regions)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/", answer.text
    assert desk.today().status_code == 200


def _sessions(database_url: str, subject: str) -> list[tuple[str | None, str | None]]:
    with psycopg.connect(database_url) as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                "SELECT end_reason, ended_by FROM console_sessions WHERE subject = %s"
                " ORDER BY created_at",
                (subject,),
            )
        ]


def _ended(desk: Desk) -> None:
    """The page sends its holder to sign in again, saying why in the service's words."""
    answer = desk.today()
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/sign-in?notice=ended"


# --- finding 6: a session ends --------------------------------------------------------------


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    desk: Desk, live_server: str, database_url: str
) -> None:
    subject = f"officer-{uuid.uuid4().hex[:8]}"
    _signed_in(desk, subject)
    stolen = desk.cookie  # a copy taken before signing out (a shared PC, a proxy log)
    out = desk.http.post("/console/sign-out", headers={"Origin": live_server})
    assert (
        out.status_code == 303 and out.headers["location"] == "/console/sign-in?notice=signed-out"
    )
    thief = Desk(live_server)
    thief.http.cookies.set("bangfu_console", stolen)
    _ended(thief)
    assert _sessions(database_url, subject) == [("signed_out", subject)]
    page = httpx.get(f"{live_server}/console/sign-in?notice=signed-out")
    assert "您已退出登录" in page.text


def test_thirty_minutes_idle_ends_a_session(desk: Desk, database_url: str) -> None:
    assert get_settings().console_idle_minutes == 30
    subject = f"officer-{uuid.uuid4().hex[:8]}"
    _signed_in(desk, subject)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE console_sessions SET last_seen_at = now() - interval '29 minutes'"
            " WHERE subject = %s",
            (subject,),
        )
    assert desk.today().status_code == 200  # 29 minutes: still open, and seen again now
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'"
            " WHERE subject = %s",
            (subject,),
        )
    _ended(desk)
    assert _sessions(database_url, subject) == [("idle", None)]


def test_the_tokens_expiry_ends_a_session(desk: Desk, database_url: str) -> None:
    subject = f"officer-{uuid.uuid4().hex[:8]}"
    # expired a few seconds ago: within the API's clock leeway, so the sign-in takes it
    token = issue_token(subject, [Role.loan_officer], ["52"], ttl=timedelta(seconds=-5))
    assert desk.sign_in_with(token).status_code == 303
    _ended(desk)
    assert _sessions(database_url, subject) == [("expired", None)]


def test_a_session_is_bound_to_the_subject_roles_and_regions_it_was_opened_with(
    desk: Desk, database_url: str
) -> None:
    subject = f"officer-{uuid.uuid4().hex[:8]}"
    _signed_in(desk, subject)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE console_sessions SET roles = '{admin}' WHERE subject = %s", (subject,))
    _ended(desk)
    assert _sessions(database_url, subject) == [("token_changed", None)]


def test_an_administrator_revokes_a_session_and_every_session_of_a_person(
    live_server: str, client: httpx.Client, database_url: str
) -> None:
    subject = f"officer-{uuid.uuid4().hex[:8]}"
    desks = [Desk(live_server) for _ in range(3)]
    for d in desks:
        _signed_in(d, subject, regions="52")
    national = headers(Role.admin, sub="admin-national")
    other = headers(Role.admin, sub="admin-53", regions=["53"])
    listed = client.get("/v1/console-sessions", params={"subject": subject}, headers=national)
    assert listed.status_code == 200 and len(listed.json()) == 3
    assert all(s["roles"] == ["loan_officer"] and s["regions"] == ["52"] for s in listed.json())
    assert (
        client.get("/v1/console-sessions", params={"subject": subject}, headers=other).json() == []
    )  # outside a province's administrator's regions: not theirs to see
    first = listed.json()[-1]["id"]
    assert_problem(client.post(f"/v1/console-sessions/{first}/revocation", headers=other), 404)
    assert_problem(
        client.post(
            f"/v1/console-sessions/{first}/revocation",
            headers=headers(Role.loan_officer, sub=subject, regions=["52"]),
        ),
        403,
    )
    revoked = client.post(f"/v1/console-sessions/{first}/revocation", headers=national)
    assert revoked.status_code == 200
    assert revoked.json()["end_reason"] == "revoked"
    assert revoked.json()["ended_by"] == "admin-national"
    _ended(desks[0])
    assert desks[1].today().status_code == 200  # the others stay open
    rest = client.post(
        "/v1/console-sessions/revocations", json={"subject": subject}, headers=national
    )
    assert rest.status_code == 200 and rest.json() == {"revoked": 2}
    for d in desks[1:]:
        _ended(d)
    assert {r for r, _ in _sessions(database_url, subject)} == {"revoked"}
    for d in desks:
        d.http.close()


def test_the_cookie_is_secure_in_production_whatever_the_scheme(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    development = desk.sign_in(f"officer-{uuid.uuid4().hex[:8]}", ["loan_officer"], "52")
    cookie = development.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    monkeypatch.setattr(get_settings(), "environment", Environment.production)
    token = issue_token("officer-prod", [Role.loan_officer], ["52"])
    production = desk.sign_in_with(token)  # over plain http: a proxy ended TLS
    assert production.status_code == 303, production.text
    assert "; Secure" in production.headers["set-cookie"]
    assert "bangfu_console=" + token not in production.headers["set-cookie"]  # a secret, not it


# --- finding 7: headers, origins, the page's own words ---------------------------------------


def test_every_answer_carries_the_security_headers(
    live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in ("/health/live", "/v1/loans", "/console/sign-in", "/docs", "/redoc", "/nowhere"):
        answer = httpx.get(live_server + path)
        csp = answer.headers["content-security-policy"]
        scripts = re.search(r"script-src ([^;]*)", csp)
        assert scripts is not None and "'unsafe-inline'" not in scripts.group(1), (path, csp)
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in answer.headers
    docs = httpx.get(live_server + "/docs").headers["content-security-policy"]
    assert "'sha256-" in docs  # Swagger UI's own start-up script, by its hash, and no other
    assert httpx.get(live_server + "/console/sign-in").headers["cache-control"] == "no-store"
    monkeypatch.setattr(get_settings(), "environment", Environment.production)
    hsts = httpx.get(live_server + "/health/live").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")


@pytest.mark.parametrize(
    "origin",
    [
        "https://{host}",  # the scheme differs
        "http://{host}0",  # the port differs
        "http://evil.example",
        "null",
    ],
)
def test_a_write_from_another_origin_is_refused(desk: Desk, origin: str) -> None:
    host = desk.base.removeprefix("http://")
    answer = desk.http.post(
        _DEV_SIGN_IN,
        data={"subject": "x", "role": "admin", "regions": "*"},
        headers={"Origin": origin.format(host=host)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    assert "bangfu_console" not in answer.headers.get("set-cookie", "")


def test_console_pages_show_no_text_from_the_request(desk: Desk) -> None:
    said = "请立即转账到账户6217000000000000"
    for query in (f"?error={said}", f"?notice={said}", "?notice=<script>alert(1)</script>"):
        page = desk.http.get("/console/sign-in" + query)
        assert page.status_code == 200 and said not in page.text and "alert(1)" not in page.text
    _signed_in(desk, f"officer-{uuid.uuid4().hex[:8]}")
    for path in (f"/console/households/{uuid.uuid4()}", f"/console/loans/{uuid.uuid4()}"):
        page = desk.http.get(path, params={"problem": said})
        assert said not in page.text, path


# --- finding 8: jobs and metrics follow the current token -------------------------------------


def test_a_job_follows_the_token_presented_now(client: httpx.Client) -> None:
    region = own_county("52")
    sub = f"risk-{uuid.uuid4().hex[:8]}"
    starter = headers(Role.risk_manager, sub=sub, regions=[region])
    job = started(
        client.post(
            "/v1/roster/imports",
            content=roster_csv(roster_rows(region, 1)).encode(),
            headers={**starter, **ASYNC, "content-type": "text/csv"},
        )
    )
    assert client.get(job["url"], headers=starter).status_code == 200
    for other in (
        headers(Role.risk_manager, sub=sub, regions=[own_county("53")]),  # other regions
        headers(Role.loan_officer, sub=sub, regions=[region]),  # other roles
    ):
        for path in ("", "/row-errors"):
            assert_problem(client.get(job["url"] + path, headers=other), 404)
        listed = client.get("/v1/jobs", headers=other).json()["items"]
        assert job["id"] not in {j["id"] for j in listed}
    wider = headers(Role.risk_manager, Role.loan_officer, sub=sub, regions=["52"])
    assert client.get(job["url"], headers=wider).status_code == 200  # still covers it
    run_queued_jobs()  # nothing left in the queue for the next test's worker
    assert client.get(job["url"], headers=starter).json()["status"] == "succeeded"


def test_metrics_are_for_the_scraper_and_national_administrators(client: httpx.Client) -> None:
    assert client.get("/metrics", headers=headers(Role.admin, sub="admin-n")).status_code == 200
    for regions in (["52"], ["520102"]):
        scoped = headers(Role.admin, sub="admin-p", regions=regions)
        assert_problem(client.get("/metrics", headers=scoped), 403)


def test_national_reference_data_needs_a_national_scope(client: httpx.Client) -> None:
    entry = {
        "code": f"t{uuid.uuid4().hex[:6]}",
        "kind": "situation",
        "title_zh": "测试情形",
        "title_en": "A test situation",
    }
    county = headers(Role.admin, sub="admin-county", regions=["520102"])
    assert_problem(client.post("/v1/exemption-catalogue", json=entry, headers=county), 403)
    national = headers(Role.admin, sub="admin-national")
    assert client.post("/v1/exemption-catalogue", json=entry, headers=national).status_code == 201
