"""Disbursement through the outbox to the core banking simulator (a real process over real
HTTP) with injected errors, timeouts and duplicate callbacks: every instruction ends confirmed
and is transferred exactly once, by the simulator's own ledger."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from app.core.settings import get_settings
from tests.api.factories import Origination, Person, id_number, own_county
from tests.api.simulators import BANGFU, ROOT, simulator


@pytest.fixture()
def core_sim() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with simulator(
        "core-sim",
        *("--error-rate", "0.3", "--timeout-rate", "0.1", "--timeout-seconds", "1.0"),
        *("--duplicate-callback-rate", "0.2", "--seed", "7"),
    ) as running:
        yield running


def _contracted_loans(client: httpx.Client, region: str, count: int) -> list[str]:
    flow = Origination(client, region=region)
    people = [Person(id_number(region)) for _ in range(count)]
    flow.import_roster(people, one_household_each=True)

    def one(person: Person) -> str:
        household = flow.household([person])
        flow.rate(household["id"])
        application_id = flow.approved_application(household, amount="12000.00")
        signed = flow.sign(application_id)
        assert signed.status_code == 201, signed.text
        return str(signed.json()["loan"]["id"])

    with ThreadPoolExecutor(8) as pool:
        loans = list(pool.map(one, people))
    return loans


def test_two_hundred_disbursements_each_transferred_exactly_once(
    live_server: str,
    client: httpx.Client,
    core_sim,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim_url, _ = core_sim
    monkeypatch.setattr(get_settings(), "public_base_url", live_server)
    region = own_county("57")
    loans = _contracted_loans(client, region, 200)
    flow = Origination(client, region=region)
    disbursements = []
    for loan_id in loans:
        response = client.post(
            f"/v1/loans/{loan_id}/disbursements",
            headers={**flow.officer, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        disbursements.append(response.json()["id"])

    env = {
        **os.environ,
        "CORE_BANKING_URL": sim_url,
        "CORE_BANKING_TIMEOUT_SECONDS": "0.5",
        "OUTBOX_BACKOFF_BASE_SECONDS": "0.05",
        "OUTBOX_BACKOFF_CAP_SECONDS": "0.5",
    }
    worker = subprocess.run(
        [*BANGFU, "worker", "--until-idle", "--concurrency", "8"],
        cwd=ROOT,
        env=env,
        timeout=300,
        capture_output=True,
    )
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with psycopg.connect(database_url) as conn:
            active = conn.execute(
                "SELECT count(*) FROM loans WHERE id = ANY(%s) AND status = 'active'", (loans,)
            ).fetchone()[0]
        if active == len(loans):
            break
        time.sleep(0.5)
    assert active == 200

    ledger = httpx.get(f"{sim_url}/transfers").json()
    mine = [t for t in ledger["transfers"] if t["instruction_id"] in set(disbursements)]
    assert len(mine) == 200
    assert len({t["instruction_id"] for t in mine}) == 200
    assert ledger["requests"] > 200  # faults forced retries
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT d.status, d.core_transaction_id, o.status, o.attempts FROM disbursements d"
            " JOIN outbox o ON o.idempotency_key = 'disbursement-' || d.id"
            " WHERE d.id = ANY(%s)",
            (disbursements,),
        ).fetchall()
    # Delivered, or settled: core banking confirmed the transfer before the worker heard its
    # answer (a timeout), and the instruction was not sent again after that.
    assert {r[0] for r in rows} == {"succeeded"}
    assert {r[2] for r in rows} <= {"delivered", "settled"}
    assert {r[1] for r in rows} == {t["transfer_id"] for t in mine}
    assert max(r[3] for r in rows) > 1
