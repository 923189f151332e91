"""Homes for what comes next (issue 27): a feature declares its daily work to the scheduler, and
how its kind of message is delivered to the outbox worker; the end of day and core banking's
disbursement instruction are the first of each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time

import httpx
import psycopg
import pytest
from sqlalchemy.orm import Session

from app.batch import scheduler
from app.core import clock
from app.core.db import get_sessionmaker
from app.core.settings import get_settings
from app.integrations import senders, worker

Calls = list[tuple[date, list[str] | None]]


@pytest.fixture
def declared() -> Iterator[Callable[..., Calls]]:
    """Declare a work for the test; it is gone afterwards."""
    names: list[str] = []

    def declare(name: str, at: time, fail: bool = False) -> Calls:
        calls: Calls = []

        @scheduler.scheduled(name, at=lambda _settings: at)
        def work(
            _sessions: Callable[[], Session], through: date, prefixes: list[str] | None
        ) -> int:
            if fail:
                raise RuntimeError("the work failed")
            calls.append((through, prefixes))
            return 7

        names.append(name)
        return calls

    yield declare
    for name in names:
        scheduler._SCHEDULED.pop(name, None)


def test_the_end_of_day_is_the_first_scheduled_work() -> None:
    first = scheduler.scheduled_work()[0]
    assert first.name == "eod" and first.run is scheduler.tick
    assert first.at(get_settings()) == get_settings().eod_local_time


def test_a_declared_work_runs_once_its_time_of_day_has_come(
    declared: Callable[..., Calls], database_url: str
) -> None:
    morning = declared("test-morning-reminders", time(8, 0))
    broken = declared("test-broken", time(0, 0), fail=True)
    today = date(2027, 3, 10)
    early = datetime(2027, 3, 10, 7, 0, tzinfo=clock.SHANGHAI)
    late = datetime(2027, 3, 10, 9, 0, tzinfo=clock.SHANGHAI)
    nowhere = ["00"]  # no county: the end of day has nothing to close
    before = scheduler.run_due(get_sessionmaker(), early, today, nowhere)
    after = scheduler.run_due(get_sessionmaker(), late, today, nowhere)
    # before 08:00 the work is due through yesterday, after it through today
    assert morning == [(date(2027, 3, 9), nowhere), (today, nowhere)]
    assert before["test-morning-reminders"] == after["test-morning-reminders"] == 7
    assert before["eod"] == 0 and "test-broken" not in after and broken == []


def test_a_message_of_a_kind_with_no_sender_fails_at_once(database_url: str) -> None:
    key = f"test-{uuid.uuid4()}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO outbox (id, kind, idempotency_key, payload, status, attempts,"
            " next_attempt_at) VALUES (%s, 'sms.unknown', %s, '{}', 'pending', 0, '2000-01-01')",
            (uuid.uuid4(), key),
        )

    class Nowhere(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            raise AssertionError("a message with no sender is sent nowhere")

    with httpx.Client(transport=Nowhere()) as client:
        assert worker.deliver_one(get_sessionmaker(), client)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, attempts, last_error FROM outbox WHERE idempotency_key = %s", (key,)
        ).fetchone()
    assert row == ("failed", 1, "no sender for the kind sms.unknown")


def test_each_kind_has_its_endpoint_and_retry_policy_from_the_settings() -> None:
    settings = get_settings()
    core = senders.SENDERS["core.disbursement"]
    assert core.url(settings) == settings.core_banking_url + "/transfers"
    assert core.timeout_seconds(settings) == settings.core_banking_timeout_seconds
    waits = [core.backoff(n, settings) for n in range(1, 12)]
    assert all(0 < w <= settings.outbox_backoff_cap_seconds for w in waits)
    assert waits[0] <= settings.outbox_backoff_base_seconds
    assert 404 in core.permanent and 503 not in core.permanent
