"""Reads from a real streaming hot standby (issue 29): a primary and a standby started for this
module (tests/replication.py), the service run as `bangfu serve` against them with
DATABASE_REPLICA_URL, and what a client sees when the standby keeps up, lags, is behind the
caller's own write, is stopped, and fails in the middle of a read.

A read the standby served is told by what it shows: the tests change a row on the primary
around the service's back while the standby's replay is paused, so a stale answer can only
have come from the standby and a fresh one only from the primary.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.core.auth import Role, issue_token
from app.core.dbroles import with_role
from app.core.migrations import migrate
from tests.api import factories
from tests.api.factories import Origination, Servicing
from tests.replication import Pair, _free_port, start_pair

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "520102"
METRICS_TOKEN = "replica-tests-metrics-token-0123456789"


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    root = ROOT / ".data" / f"replication-{worker}"
    started = start_pair(root)
    try:
        started.primary.sql("CREATE DATABASE bangfu")
        owner = started.primary.url("bangfu")
        migrate(owner, with_role(owner, "bangfu_app"))
        started.caught_up()
        yield started
    finally:
        started.stop()
        shutil.rmtree(root, ignore_errors=True)


Serve = Callable[..., str]


@pytest.fixture(scope="module")
def serve(pair: Pair) -> Iterator[Serve]:
    """`serve(max_lag=…, check=…)`: the service on its own port against the pair."""
    running: list[subprocess.Popen[bytes]] = []

    def start(*, max_lag: float, check: float = 0.05, retry: float = 0.5) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": with_role(pair.primary.url("bangfu"), "bangfu_app"),
            "DATABASE_REPLICA_URL": with_role(pair.standby.url("bangfu"), "bangfu_app"),
            "MIGRATION_DATABASE_URL": pair.primary.url("bangfu"),
            "REPLICA_MAX_LAG_SECONDS": str(max_lag),
            "REPLICA_CHECK_SECONDS": str(check),
            "REPLICA_RETRY_SECONDS": str(retry),
            "METRICS_TOKEN": METRICS_TOKEN,
            "LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        running.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/live").status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the service did not start")

    had_programme = COUNTY in factories._programmes
    factories._programmes.discard(COUNTY)  # the pair's database has none yet
    yield start
    for process in running:
        process.terminate()
        process.wait(timeout=30)
    if had_programme:
        factories._programmes.add(COUNTY)


@pytest.fixture(scope="module")
def loan(serve: Serve, pair: Pair) -> dict[str, object]:
    """An active loan in the pair's database, written through the service."""
    with httpx.Client(base_url=serve(max_lag=60), timeout=60) as client:
        made = Servicing(Origination(client, region=COUNTY)).active_loan()
    pair.caught_up()
    return made


def reader(sub: str = "reader") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(sub, [Role.auditor], ['*'])}"}


def officer_in_list(client: httpx.Client, loan: dict[str, object], **headers: str) -> str:
    answer = client.get(
        "/v1/loans",
        params={"contract_number": str(loan["contract_number"])},
        headers={**reader(), **headers},
    )
    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["items"]
    return str(found["officer"])


def standby_reads(client: httpx.Client) -> float:
    text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    found = re.search(r'^bangfu_routed_reads_total\{source="standby"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def move_officer(pair: Pair, loan: dict[str, object], officer: str) -> None:
    """Around the service's back, on the primary."""
    pair.primary.sql(
        f"UPDATE loans SET officer = '{officer}' WHERE id = '{loan['id']}' RETURNING 1", "bangfu"
    )


def test_lists_read_the_standby_while_it_keeps_up_and_the_primary_past_the_lag_bound(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    with httpx.Client(base_url=serve(max_lag=1.0), timeout=30) as client:
        before = officer_in_list(client, loan)
        served = standby_reads(client)
        pair.pause_replay()
        try:
            move_officer(pair, loan, "moved-while-paused")
            # within the bound: the list is the standby's, a loan itself the primary's
            assert officer_in_list(client, loan) == before
            single = client.get(f"/v1/loans/{loan['id']}", headers=reader())
            assert single.json()["officer"] == "moved-while-paused"
            assert standby_reads(client) > served
            time.sleep(1.5)  # past the bound: the lagging standby is skipped
            assert officer_in_list(client, loan) == "moved-while-paused"
        finally:
            pair.resume_replay()
        pair.caught_up()
        time.sleep(0.1)  # the service looks again after REPLICA_CHECK_SECONDS
        served = standby_reads(client)
        assert officer_in_list(client, loan) == "moved-while-paused"
        assert standby_reads(client) > served  # caught up: the standby serves again
        move_officer(pair, loan, str(before))
        pair.caught_up()


def test_a_caller_reads_its_own_write_even_from_a_standby_that_has_not_replayed_it(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    base = serve(max_lag=60)
    with httpx.Client(base_url=base, timeout=60) as client:
        flow = Origination(client, region=COUNTY)
        _, household = flow.ready_household()
        pair.caught_up()
        pair.pause_replay()
        try:
            submitted = flow.apply(household)
            assert submitted.status_code == 201, submitted.text
            position = submitted.headers["bangfu-lsn"]
            assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", position)

            def listed(headers: dict[str, str]) -> set[str]:
                answer = client.get(
                    "/v1/applications", params={"limit": 200, "region": COUNTY}, headers=headers
                )
                assert answer.status_code == 200, answer.text
                return {item["id"] for item in answer.json()["items"]}

            mine = submitted.json()["id"]
            assert mine in listed(flow.officer)  # the writer: its read waits for nothing
            assert mine not in listed(reader())  # anyone else: the standby, as it stands
            # another host, told the position the write answered with: the primary
            assert mine in listed({**reader(), "Bangfu-LSN": position})
            # a header that is not a position asks for nothing
            assert mine not in listed({**reader(), "Bangfu-LSN": "not/a-position"})
        finally:
            pair.resume_replay()
        pair.caught_up()
        assert mine in listed(reader())


def test_a_stopped_standby_leaves_every_read_to_the_primary_and_is_used_again_when_back(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    with httpx.Client(base_url=serve(max_lag=60, retry=0.5), timeout=30) as client:
        expected = officer_in_list(client, loan)
        pair.standby.stop()
        try:
            for _ in range(3):
                assert officer_in_list(client, loan) == expected
            # writes go on as ever
            move_officer(pair, loan, "moved-while-down")
            assert officer_in_list(client, loan) == "moved-while-down"
        finally:
            pair.standby.start()
        pair.caught_up()
        time.sleep(0.6)  # the retry time
        served = standby_reads(client)
        assert officer_in_list(client, loan) == "moved-while-down"
        assert standby_reads(client) > served
        move_officer(pair, loan, expected)
        pair.caught_up()


def test_a_standby_that_fails_in_the_middle_of_a_read_is_answered_for_by_the_primary(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    # checked once an hour: the service still believes the standby up when it has gone
    with httpx.Client(base_url=serve(max_lag=60, check=3600, retry=3600), timeout=30) as client:
        expected = officer_in_list(client, loan)
        served = standby_reads(client)
        assert officer_in_list(client, loan) == expected
        assert standby_reads(client) > served  # the standby served that one
        pair.standby.stop("immediate")
        try:
            key = str(uuid.uuid4())
            for _ in range(3):
                assert officer_in_list(client, loan, **{"X-Request-ID": key}) == expected
        finally:
            pair.standby.start()
        pair.caught_up()


def test_every_read_routed_to_the_standby_is_answered_there_without_writing(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    """Each operation of REPLICA_OPERATIONS, called as a national reader while the standby keeps
    up: none fails (a write on a standby is refused, and would show here as a 500)."""
    from app.core.replica import REPLICA_OPERATIONS

    params = {
        "period": "2027Q1",
        "as_of": "2027-03-01",
        "regions": COUNTY,
        "from": "2027-01-01",
        "to": "2027-03-01",
    }
    national = {
        "Authorization": "Bearer "
        + issue_token(
            "national-reader",
            [Role.admin, Role.auditor, Role.risk_manager, Role.loan_officer],
            ["*"],
        )
    }
    with httpx.Client(base_url=serve(max_lag=60), timeout=60) as client:
        pair.caught_up()
        time.sleep(0.1)
        spec = client.get("/openapi.json").json()
        served = standby_reads(client)
        answered = {}
        for path, operations in spec["paths"].items():
            operation = operations.get("get")
            if operation is None or operation["operationId"] not in REPLICA_OPERATIONS:
                continue
            wanted = {
                p["name"]: params[p["name"]]
                for p in operation.get("parameters", [])
                if p.get("required") and p["in"] == "query"
            }
            answer = client.get(path.replace("{code}", COUNTY), params=wanted, headers=national)
            answered[operation["operationId"]] = answer.status_code
        assert set(answered) == REPLICA_OPERATIONS
        assert all(status < 500 for status in answered.values()), answered
        ok = [name for name, status in answered.items() if status == 200]
        assert len(ok) >= len(REPLICA_OPERATIONS) - 6, answered
        assert standby_reads(client) - served >= len(ok)


def test_the_console_keeps_its_person_s_last_write_so_any_host_reads_it(
    serve: Serve, pair: Pair, loan: dict[str, object]
) -> None:
    """A write on one API host, the console's page on another: the page reads the standby's
    older answer unless the browser's cookie carries the write's position, and a write made
    through the console leaves that cookie."""
    from tests.api.console_day import signed_in

    here, elsewhere = serve(max_lag=60), serve(max_lag=60)
    with httpx.Client(base_url=elsewhere, timeout=60) as client:
        flow = Origination(client, region=COUNTY)
        _, household = flow.ready_household()
        pair.caught_up()
        time.sleep(0.1)
        pair.pause_replay()
        try:
            submitted = flow.apply(household)
            assert submitted.status_code == 201, submitted.text
            application = submitted.json()["id"]
            with signed_in(here, f"officer-{flow.tag}", ["loan_officer"], COUNTY[:4]) as browser:
                # this host has not seen the write: the page is the standby's
                assert application not in browser.get("/console/").text
                browser.cookies.set("bangfu_lsn", submitted.headers["bangfu-lsn"])
                assert application in browser.get("/console/").text
                browser.cookies.delete("bangfu_lsn")
                withdrawn = browser.post(f"/console/do/withdraw/{application}", data={})
                assert withdrawn.status_code == 303, withdrawn.text
                kept = browser.cookies.get("bangfu_lsn")
                assert kept is not None and re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", kept)
        finally:
            pair.resume_replay()
        pair.caught_up()
