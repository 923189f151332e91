"""Messages to borrowers (issue 30): the scheduled work writes each county's texts of the day at
most once, even with two schedulers racing; an opted-out household and one with no phone get
none (recorded, for the officer); the texts go to the SMS gateway simulator (a real process over
real HTTP) through the outbox while it fails, answers late, is down for a while and sends its
receipts twice, and each reaches the phone once; nothing goes out in the quiet hours; the phone
is opened only to send and is never logged, kept or answered in full."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from app.core import clock
from app.core.auth import Role
from app.core.crypto import PHONE, get_cipher
from app.core.db import get_sessionmaker
from app.core.settings import get_settings
from app.domain import messages as words
from app.messages import service as messages
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county
from tests.api.simulators import BANGFU, ROOT, simulator
from tests.conftest import _free_port

NEVER_QUIET = {"SMS_QUIET_START": "00:00", "SMS_QUIET_END": "00:00"}


@pytest.fixture()
def texts_on(monkeypatch: pytest.MonkeyPatch, live_server: str) -> None:
    """Texts switched on (a gateway set) with receipts coming back to this server, at any hour."""
    settings = get_settings()
    monkeypatch.setattr(settings, "sms_gateway_url", "http://127.0.0.1:9")
    monkeypatch.setattr(settings, "public_base_url", live_server)
    monkeypatch.setattr(settings, "sms_quiet_start", datetime.min.time())
    monkeypatch.setattr(settings, "sms_quiet_end", datetime.min.time())


@pytest.fixture()
def svc(client: httpx.Client, texts_on: None, database_url: str) -> Any:
    """A county of the test's own; its texts still waiting when the test ends are given up, so
    that no later test's worker tries to send them."""
    servicing = Servicing(Origination(client, region=own_county("53")))
    yield servicing
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = 'test over'"
            " WHERE status = 'pending' AND idempotency_key IN"
            " (SELECT 'sms-' || id FROM messages WHERE region_code = %s)",
            (servicing.flow.region,),
        )


def _loan(svc: Servicing, person: Person) -> dict[str, Any]:
    """An active 12-month loan from the county's day for a household of one."""
    flow = svc.flow
    flow.import_roster([person])
    household = flow.household([person])
    flow.rate(household["id"])
    application_id = flow.approved_application(household, amount="12000.00")
    signed = flow.sign(application_id)
    assert signed.status_code == 201, signed.text
    loan = signed.json()["loan"]
    svc.disburse(loan["id"], clock.today())
    return svc.loan(loan["id"])


def _open_date(database_url: str, county: str) -> date:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT open_date FROM region_business_dates WHERE region_code = %s", (county,)
        ).fetchone()
    assert row is not None
    return row[0]


def _rows(database_url: str, county: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT m.kind, m.loan_id::text, m.status, m.text, m.phone_masked, o.payload"
            " FROM messages m LEFT JOIN outbox o ON o.idempotency_key = 'sms-' || m.id"
            " WHERE m.region_code = %s ORDER BY m.created_at, m.kind",
            (county,),
        ).fetchall()


def _outbox(database_url: str, county: str) -> list[dict[str, Any]]:
    """The outbox messages of the county's texts."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT o.* FROM messages m"
            " JOIN outbox o ON o.idempotency_key = 'sms-' || m.id WHERE m.region_code = %s",
            (county,),
        ).fetchall()


def _produce(county: str, day: date) -> int:
    return messages.produce_due(get_sessionmaker(), day, [county])


def _racing(county: str, day: date) -> list[int]:
    """Two schedulers' passes at once."""
    results: list[int] = []
    start = threading.Barrier(2)

    def one() -> None:
        start.wait()
        results.append(_produce(county, day))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_the_days_texts_are_written_once_for_those_who_can_get_them(
    svc: Servicing, database_url: str
) -> None:
    county = svc.flow.region
    reached = Person(id_number(county))
    opted_out = Person(id_number(county))
    no_phone = Person(id_number(county), phone=None)  # type: ignore[arg-type]
    loans = {p.id_number: _loan(svc, p) for p in (reached, opted_out, no_phone)}
    officer = svc.flow.officer
    wish = svc.client.put(
        f"/v1/households/{loans[opted_out.id_number]['household_id']}/message-preference",
        json={"opted_out": True, "reason": "户主要求不再接收短信"},
        headers=officer,
    )
    assert wish.status_code == 200, wish.text
    assert wish.json()["opted_out"] is True

    day = _open_date(database_url, county)
    policy = words.policy_reminder_due(day, (3, 15))
    assert sum(_racing(county, day)) == 3 * (1 + policy)
    assert _produce(county, day) == 0  # a later tick: nothing new

    rows = _rows(database_url, county)
    kinds = sorted(r[0] for r in rows)
    assert kinds == sorted(["subsidy_notice"] * 3 + ["policy_reminder"] * 3 * policy)
    by_loan = {r[1]: r for r in rows if r[0] == "subsidy_notice"}
    status = {
        p.id_number: by_loan[loans[p.id_number]["id"]][2] for p in (reached, opted_out, no_phone)
    }
    assert status == {
        reached.id_number: "queued",
        opted_out.id_number: "opted_out",
        no_phone.id_number: "no_phone",
    }
    notice = by_loan[loans[reached.id_number]["id"]]
    assert "金额12,000.00元" in notice[3] and "不得入股分红或转贷" in notice[3]
    assert notice[4] == reached.phone[:3] + "****" + reached.phone[-4:]
    payload = notice[5]
    assert reached.phone not in str(payload)  # sealed: ciphertext only
    assert (
        get_cipher().decrypt(base64.b64decode(payload["sealed"]["phone"]), PHONE) == reached.phone
    )
    assert all(r[5] is None for r in rows if r[2] != "queued")  # nothing to send: no outbox

    # three days before the first due date: a reminder each, with what is owed
    first = svc.schedule(loans[reached.id_number]["id"])[0]
    due = date.fromisoformat(first["due_date"])
    svc.close_through(due - timedelta(days=4))
    assert _open_date(database_url, county) == due - timedelta(days=3)
    written = _racing(county, due - timedelta(days=3))
    reminders = [r for r in _rows(database_url, county) if r[0] == "due_reminder"]
    assert len(reminders) == 3
    reminder_day = due - timedelta(days=3)
    policy_again = words.policy_reminder_due(reminder_day, (3, 15)) and (
        reminder_day.year != day.year or not policy
    )
    assert sum(written) == 3 + 3 * policy_again
    owed = D(first["principal_due"]) + D(first["interest_due"])
    assert all(f"应还{owed:,.2f}元" in r[3] and "第1期" in r[3] for r in reminders)

    # overdue: a notice on the first day, none on the second
    svc.close_through(due + timedelta(days=1))
    loan = svc.loan(loans[reached.id_number]["id"])
    assert loan["days_past_due"] == 1, loan
    assert _produce(county, due + timedelta(days=2)) >= 3
    svc.close_through(due + timedelta(days=2))
    assert _produce(county, due + timedelta(days=3)) == 0
    notices = [r for r in _rows(database_url, county) if r[0] == "overdue_notice"]
    assert len(notices) == 3
    assert all("已逾期1天" in r[3] and "逾期期间不享受财政贴息" in r[3] for r in notices)

    # read back on the API: the status of each, the phone masked; a department sees none
    page = svc.client.get(
        "/v1/messages", params={"region": county, "unreached": "true"}, headers=officer
    )
    assert page.status_code == 200, page.text
    unreached = page.json()["items"]
    assert {m["status"] for m in unreached} == {"opted_out", "no_phone"}
    assert len(unreached) == 2 * len({r[0] for r in _rows(database_url, county)})
    everything = svc.client.get(
        "/v1/messages", params={"loan_id": loans[reached.id_number]["id"]}, headers=officer
    ).json()["items"]
    assert {m["status"] for m in everything} == {"queued"}
    assert reached.phone not in str(everything)
    regulator = headers(Role.regulator, sub="regulator", regions=[county])
    assert svc.client.get("/v1/messages", headers=regulator).status_code == 403


def test_a_county_behind_and_texts_switched_off_write_nothing(
    svc: Servicing, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = svc.flow.region
    _loan(svc, Person(id_number(county)))
    day = _open_date(database_url, county)
    assert _produce(county, day + timedelta(days=1)) == 0  # not the county's day
    monkeypatch.setattr(get_settings(), "sms_gateway_url", "")
    assert _produce(county, day) == 0
    assert _rows(database_url, county) == []


@pytest.fixture()
def sms_sim() -> Iterator[str]:
    with simulator(
        "sms-sim",
        *("--error-rate", "0.5", "--timeout-rate", "0.1", "--timeout-seconds", "1.0"),
        *("--duplicate-callback-rate", "0.8", "--seed", "11"),
    ) as (url, _):
        yield url


def _worker(gateway: str, *, until: Callable[[], bool] | None = None, **env: str) -> str:
    """`bangfu worker` for texts only (other tests' instructions to core banking are not this
    test's) against `gateway`: until idle, or stopped once `until()` holds; its output."""
    environment = {
        **os.environ,
        "SMS_GATEWAY_URL": gateway,
        "SMS_TIMEOUT_SECONDS": "0.5",
        "OUTBOX_BACKOFF_BASE_SECONDS": "0.05",
        "OUTBOX_BACKOFF_CAP_SECONDS": "0.5",
        "LOG_LEVEL": "DEBUG",
        **NEVER_QUIET,
        **env,
    }
    command = [*BANGFU, "worker", "--concurrency", "4", "--kind", "sms"]
    if until is None:
        done = subprocess.run(
            [*command, "--until-idle"], cwd=ROOT, env=environment, timeout=300, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return done.stdout.decode() + done.stderr.decode()
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while not until() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.terminate()
    out, _ = process.communicate(timeout=30)
    return out.decode()


def test_texts_reach_each_phone_once_through_a_failing_gateway(
    svc: Servicing, database_url: str, sms_sim: str
) -> None:
    county = svc.flow.region
    # ten texts at least: with these faults, none retried or none repeated is a chance in 3,000
    people = [Person(id_number(county)) for _ in range(10)]
    for person in people:
        _loan(svc, person)
    day = _open_date(database_url, county)
    written = _produce(county, day)
    assert written >= 10

    # the gateway is down: every try fails and is kept for later, nothing is lost
    def every_one_tried() -> bool:
        return all(t["attempts"] >= 1 for t in _outbox(database_url, county))

    logs = _worker(f"http://127.0.0.1:{_free_port()}", until=every_one_tried)
    tried = _outbox(database_url, county)
    assert len(tried) == written
    assert {t["status"] for t in tried} == {"pending"} and min(t["attempts"] for t in tried) >= 1
    assert {t["last_error"] for t in tried} == {"ConnectError"}

    # then up, failing now and then, answering late, and sending receipts twice
    logs += _worker(sms_sim)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ledger = httpx.get(f"{sms_sim}/messages").json()
        with psycopg.connect(database_url) as conn:
            receipts = conn.execute(
                "SELECT r.message_id::text, r.status FROM message_receipts r"
                " JOIN messages m ON m.id = r.message_id WHERE m.region_code = %s",
                (county,),
            ).fetchall()
        if len(receipts) == written and ledger["receipts_sent"] >= written:
            break
        time.sleep(0.5)
    mine = [t for t in ledger["messages"] if t["text"].startswith(get_settings().sms_signature)]
    with psycopg.connect(database_url) as conn:
        ids = {
            r[0]
            for r in conn.execute(
                "SELECT id::text FROM messages WHERE region_code = %s", (county,)
            ).fetchall()
        }
    outbox = _outbox(database_url, county)
    sent = [t for t in mine if t["message_id"] in ids]
    assert len(sent) == written and len({t["message_id"] for t in sent}) == written
    assert ledger["requests"] > written  # faults forced retries
    assert ledger["receipts_sent"] > written  # some receipts came twice …
    assert len(receipts) == written  # … and each was kept once
    assert {r[1] for r in receipts} == {"delivered"}
    assert {o["status"] for o in outbox} <= {"delivered"}
    assert all("sealed" not in o["payload"] for o in outbox)  # the phone is not kept after sending
    hashes = {hashlib.sha256(p.phone.encode()).hexdigest() for p in people}
    assert {t["phone_sha256"] for t in sent} == hashes
    for person in people:
        assert person.phone not in logs

    page = svc.client.get(
        "/v1/messages", params={"region": county, "status": "delivered"}, headers=svc.flow.officer
    ).json()
    assert len(page["items"]) == written
    assert all(m["delivered_at"] is not None for m in page["items"])


def test_nothing_is_sent_in_the_quiet_hours(
    svc: Servicing, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = svc.flow.region
    loan = _loan(svc, Person(id_number(county)))
    now = clock.now()
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    monkeypatch.setattr(get_settings(), "sms_quiet_start", start.replace(microsecond=0))
    monkeypatch.setattr(get_settings(), "sms_quiet_end", end.replace(second=0, microsecond=0))
    assert _produce(county, _open_date(database_url, county)) >= 1
    quiet = {"SMS_QUIET_START": start.strftime("%H:%M:%S"), "SMS_QUIET_END": end.strftime("%H:%M")}
    _worker(f"http://127.0.0.1:{_free_port()}", **quiet)  # idle at once: nothing is due
    held = _outbox(database_url, county)
    assert held and {h["status"] for h in held} == {"pending"}
    assert {h["attempts"] for h in held} == {0}
    household = svc.loan(loan["id"])["household_id"]
    for h in held:
        local = h["next_attempt_at"].astimezone(clock.SHANGHAI)
        assert local > now and local.time().replace(second=0) == end.replace(
            second=0, microsecond=0
        )

    # an opt-out holds at once: the texts waiting for the morning are given up, phone dropped
    wish = svc.client.put(
        f"/v1/households/{household}/message-preference",
        json={"opted_out": True, "reason": "户主来电要求退订"},
        headers=svc.flow.officer,
    )
    assert wish.status_code == 200, wish.text
    given_up = _outbox(database_url, county)
    assert {g["status"] for g in given_up} == {"withdrawn"}
    assert all("sealed" not in g["payload"] for g in given_up)
    read = svc.client.get(
        "/v1/messages", params={"loan_id": loan["id"]}, headers=svc.flow.officer
    ).json()["items"]
    assert {m["status"] for m in read} == {"opted_out"}


def test_a_receipt_is_kept_once_and_only_the_gateway_sends_one(
    svc: Servicing, database_url: str
) -> None:
    county = svc.flow.region
    loan = _loan(svc, Person(id_number(county)))
    _produce(county, _open_date(database_url, county))
    (message,) = [
        m
        for m in svc.client.get(
            "/v1/messages", params={"loan_id": loan["id"]}, headers=svc.flow.officer
        ).json()["items"]
        if m["kind"] == "subsidy_notice"
    ]
    gateway = headers(Role.sms_gateway, sub="sms-gateway")
    receipt = {
        "message_id": message["id"],
        "status": "delivered",
        "gateway_message_id": "SMS0001",
        "reported_at": "2027-01-05T09:00:00+08:00",
    }
    first = svc.client.post("/v1/messages/receipts", json=receipt, headers=gateway)
    again = svc.client.post("/v1/messages/receipts", json=receipt, headers=gateway)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json() == again.json()
    unknown = {**receipt, "message_id": str(uuid.uuid4())}
    assert (
        svc.client.post("/v1/messages/receipts", json=unknown, headers=gateway).status_code == 404
    )
    naive = {**receipt, "reported_at": "2027-01-05T09:00:00"}
    assert svc.client.post("/v1/messages/receipts", json=naive, headers=gateway).status_code == 422
    officer = svc.flow.officer
    assert (
        svc.client.post("/v1/messages/receipts", json=receipt, headers=officer).status_code == 403
    )
    assert svc.client.get("/v1/messages", headers=gateway).status_code == 403
    with psycopg.connect(database_url) as conn:
        kept = conn.execute(
            "SELECT count(*) FROM message_receipts WHERE message_id = %s", (message["id"],)
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE messages SET text = 'x' WHERE id = %s", (message["id"],))
    assert kept == (1,)
    read = svc.client.get("/v1/messages", params={"loan_id": loan["id"]}, headers=officer)
    assert {m["status"] for m in read.json()["items"] if m["id"] == message["id"]} == {"delivered"}


def test_a_countys_reminder_days_are_its_own(svc: Servicing) -> None:
    county = svc.flow.region
    risk = headers(Role.risk_manager, sub=f"risk-{svc.flow.tag}", regions=[county])
    assert svc.client.get(f"/v1/regions/{county}/message-settings", headers=risk).json()[
        "reminder_days"
    ] == [3]
    changed = svc.client.put(
        f"/v1/regions/{county}/message-settings", json={"reminder_days": [7, 1, 7]}, headers=risk
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reminder_days"] == [1, 7]
    for bad in ([], [0], [31], [1, 2, 3, 4, 5, 6]):
        refused = svc.client.put(
            f"/v1/regions/{county}/message-settings", json={"reminder_days": bad}, headers=risk
        )
        assert refused.status_code == 422, bad
    officer = svc.flow.officer
    assert (
        svc.client.put(
            f"/v1/regions/{county}/message-settings", json={"reminder_days": [2]}, headers=officer
        ).status_code
        == 403
    )
    elsewhere = headers(Role.risk_manager, sub="risk-elsewhere", regions=["110101"])
    assert svc.client.get(
        f"/v1/regions/{county}/message-settings", headers=elsewhere
    ).status_code in (403, 404)
