"""The operations run on the event loop (app/core/db.py `LOOP_OPERATIONS`): their database I/O
is awaited, so one of them waiting on PostgreSQL holds up no other request, and they answer as
the thread pool's operations do (an idempotent retry, a refusal writing nothing); a statement
write's connection refuses a second write."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import psycopg
import pytest

from app.core import db
from app.core.auth import Role
from app.core.deps import on_the_loop
from app.core.settings import get_settings
from app.main import create_app
from tests.api.factories import Origination, Servicing, application_body, applications_of
from tests.conftest import TokenFactory

COUNTY = "520102"


def _backends(database_url: str, application_name: str, *, on_a_lock: bool = False) -> set[int]:
    """The pids of the service's connections named `application_name` (those waiting on a lock)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s AND (NOT %s OR wait_event_type = 'Lock')",
            (application_name, on_a_lock),
        ).fetchall()
    return {pid for (pid,) in rows}


def _waiting_on_a_lock(database_url: str, application_name: str) -> int:
    return len(_backends(database_url, application_name, on_a_lock=True))


def test_a_submission_waiting_on_the_database_holds_up_no_other_request(
    client: httpx.Client, database_url: str
) -> None:
    flow = Origination(client, region=COUNTY)
    _, household = flow.ready_household()
    loan = Servicing(flow).active_loan()
    answers: list[httpx.Response] = []
    with psycopg.connect(database_url) as locker:
        # inserts into applications wait; reads go on
        locker.execute("LOCK TABLE applications IN SHARE MODE")
        submitting = threading.Thread(target=lambda: answers.append(flow.apply(household)))
        submitting.start()
        deadline = time.monotonic() + 10
        while _waiting_on_a_lock(database_url, "bangfu-writes") == 0:
            assert time.monotonic() < deadline, "the submission never reached the lock"
            time.sleep(0.05)
        # the same process answers other operations, on the loop and in threads, meanwhile
        with httpx.Client(base_url=str(client.base_url), timeout=5) as other:
            officer = flow.officer
            assert other.get(f"/v1/loans/{loan['id']}/schedule", headers=officer).is_success
            assert other.get(f"/v1/loans/{loan['id']}", headers=officer).is_success
            assert other.get("/v1/applications?limit=1", headers=officer).is_success
            assert other.get("/health/live").is_success
        assert not answers  # still waiting
        locker.rollback()
    submitting.join(timeout=30)
    assert answers[0].status_code == 201, answers[0].text
    assert answers[0].json()["household_id"] == household["id"]


def test_a_burst_on_the_loop_waits_for_its_pool_s_connections_and_opens_no_more(
    client: httpx.Client, database_url: str
) -> None:
    """More submissions at once than the loop's pool holds: the rest wait their turn for a
    connection (an await) rather than opening and closing ones of their own, which made the
    open loop's stalls (docs/benchmarks.md); the pool's connections are kept for the next. One
    that waits past the pool's timeout (5 s) is answered 503, retry later, and writes nothing."""
    size = get_settings().db_pool_size
    flow = Origination(client, region=COUNTY)
    _, household = flow.ready_household()
    answers: list[httpx.Response] = []

    def submit() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            body = application_body(household)
            answers.append(own.post("/v1/applications", json=body, headers=flow.officer))

    def burst(held_for: float) -> set[int]:
        """`size` + 5 submissions held at the lock together for `held_for` seconds; the pool's
        backends meanwhile."""
        with psycopg.connect(database_url) as locker:
            locker.execute("LOCK TABLE applications IN SHARE MODE")
            threads = [threading.Thread(target=submit) for _ in range(size + 5)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 10
            while _waiting_on_a_lock(database_url, "bangfu-writes") < size:
                assert time.monotonic() < deadline, "the submissions never reached the lock"
                time.sleep(0.05)
            time.sleep(held_for)  # the five more had their time to take a connection of their own
            backends = _backends(database_url, "bangfu-writes")
            assert _waiting_on_a_lock(database_url, "bangfu-writes") == len(backends) == size
            locker.rollback()
        for thread in threads:
            thread.join(timeout=30)
        return backends

    first = burst(held_for=8)  # past the pool's timeout (5 s): the five waiting are turned away
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * size + [503] * 5
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.headers["retry-after"] == "2"
    assert busy.json()["type"] == "urn:bangfu:problem:unavailable"
    answers.clear()
    assert burst(held_for=0.3) == first == _backends(database_url, "bangfu-writes")  # kept
    assert [answer.status_code for answer in answers] == [201] * (size + 5)
    assert applications_of(database_url, household["id"]) == 2 * size + 5


def test_an_idempotent_submission_replays_and_a_refusal_on_the_loop_writes_nothing(
    client: httpx.Client, auth: TokenFactory, database_url: str
) -> None:
    flow = Origination(client, region=COUNTY)
    _, household = flow.ready_household()
    body = application_body(household)
    # with a key, the session is opened before routing (a thread's): the handler runs in a thread
    key = {**flow.officer, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/v1/applications", json=body, headers=key)
    again = client.post("/v1/applications", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    # outside the officer's regions: refused, and nothing written by the loop's transaction
    elsewhere = auth(Role.loan_officer, regions=["110101"], sub="elsewhere")
    refused = client.post("/v1/applications", json=body, headers=elsewhere)
    assert refused.status_code == 404
    assert applications_of(database_url, household["id"]) == 1
    # the loop's connections are autocommit and are given back without a rollback: whatever
    # the answer, none is left inside a transaction, and the next request is served
    assert client.post("/v1/applications", json=body, headers=elsewhere).status_code == 404
    unknown = {**body, "household_id": str(uuid.uuid4())}
    assert client.post("/v1/applications", json=unknown, headers=flow.officer).status_code == 404
    assert client.post("/v1/applications", json=body, headers=flow.officer).status_code == 201
    with psycopg.connect(database_url) as conn:
        states = conn.execute(
            "SELECT DISTINCT state FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name IN ('bangfu-writes', 'bangfu-reads')"
        ).fetchall()
    assert states == [("idle",)]


def test_the_service_will_not_start_with_a_statement_read_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statement read's connection is asyncio's: run in a thread, it would fail at its first
    read, so an operation named a statement read but not run on the loop stops the start."""
    create_app()
    assert db.LOOP_OPERATIONS == db.STATEMENT_READS | db.STATEMENT_WRITES
    monkeypatch.setattr(db, "LOOP_OPERATIONS", db.LOOP_OPERATIONS - {"get_schedule"})
    with pytest.raises(RuntimeError, match="get_schedule"):
        create_app()


def test_a_statement_writes_connection_refuses_a_second_write(database_url: str) -> None:
    engine = db.make_engine(database_url, autocommit=True, name="second-write")
    db.refuse_a_second_write(engine)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            conn.exec_driver_sql("CREATE TEMPORARY TABLE written (x int)")
            conn.exec_driver_sql("SELECT count(*) FROM written")  # reads are free
            with pytest.raises(db.SecondWriteError):
                conn.exec_driver_sql("INSERT INTO written VALUES (1)")
            assert conn.exec_driver_sql("SELECT count(*) FROM written").scalar_one() == 0
        with engine.connect() as conn:  # taken from the pool again: one write allowed anew
            conn.exec_driver_sql("DROP TABLE IF EXISTS written")
    finally:
        engine.dispose()


def test_only_a_handler_with_its_session_can_run_on_the_loop() -> None:
    def no_session(loan_id: str) -> str:
        return loan_id

    with pytest.raises(TypeError, match="no_session"):
        on_the_loop(no_session)
    assert "no_session" not in db.LOOP_OPERATIONS
