"""Jobs across processes: a job outlives the API process that accepted it, and one whose
worker is killed mid-way is run again, whole, by another worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg

from app.core import clock
from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county, roster_csv
from tests.api.test_jobs import ASYNC, roster_rows, started
from tests.conftest import _free_port
from tests.contract.test_processes import start_server, wait_ready

ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    read: Callable[[], dict[str, Any]], until: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = read()
        if until(seen):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting; last seen: {seen}")


def test_a_job_survives_a_restart_of_the_api(client: httpx.Client) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    start = clock.today()
    svc.active_loan(start)
    service_url = os.environ["DATABASE_URL"]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    first = start_server(service_url, port, {"JOBS_WORKER_IN_PROCESS": "false"})
    try:
        wait_ready(url)
        job = started(
            httpx.post(
                f"{url}/v1/batches/eod",
                headers={**svc.admin, **ASYNC},
                json={
                    "business_date": (start + timedelta(days=5)).isoformat(),
                    "regions": [svc.flow.region],
                },
                timeout=30,
            )
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=20)
    # The API is gone; the job is still there, and the next API process (which runs jobs, as
    # `make run` does) takes it up.
    second = start_server(service_url, port, {"JOBS_WORKER_IN_PROCESS": "true"})
    try:
        wait_ready(url)
        done = wait_for(
            lambda: httpx.get(f"{url}{job['url']}", headers=svc.admin, timeout=10).json(),
            lambda seen: seen["status"] in ("succeeded", "failed"),
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert done["status"] == "succeeded", done
    assert done["result"]["region_days"] == 6 and done["attempts"] == 1


def test_a_job_whose_worker_is_killed_runs_again_elsewhere(
    client: httpx.Client, database_url: str
) -> None:
    region = own_county("52")
    rows = roster_rows(region, 60_000)
    risk = headers(Role.risk_manager, sub="risk-killed", regions=[region])
    job = started(
        client.post(
            "/v1/roster/imports",
            content=roster_csv(rows).encode(),
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    env = {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "JOBS_HEARTBEAT_SECONDS": "0.2",
        "JOBS_STALLED_SECONDS": "1",
    }
    command = [sys.executable, "-m", "app.cli", "jobs"]
    doomed = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(
            lambda: client.get(job["url"], headers=risk).json(),
            lambda seen: seen["status"] == "running" and seen["progress"]["done"] > 0,
        )
    finally:
        doomed.kill()  # SIGKILL: no clean-up, no last word to the database
        doomed.wait(timeout=10)
    killed = client.get(job["url"], headers=risk).json()
    assert killed["status"] == "running" and killed["attempts"] == 1
    time.sleep(1.5)  # its heartbeat goes stale
    subprocess.run([*command, "--until-idle"], cwd=ROOT, env=env, check=True, timeout=120)
    done = client.get(job["url"], headers=risk).json()
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert done["result"]["accepted"] == 60_000 and done["row_error_count"] == 0
    with psycopg.connect(database_url) as conn:
        listed = conn.execute(
            "SELECT count(*) FROM roster_entries WHERE region_code = %s", (region,)
        ).fetchone()
    assert listed == (60_000,)


def test_bangfu_import_shows_a_progress_bar(tmp_path: Path, database_url: str) -> None:
    region = own_county("52")
    rows = roster_rows(region, 5_000)
    rows[7]["category"] = "rich"
    file = tmp_path / "roster.csv"
    file.write_text(roster_csv(rows), encoding="utf-8")
    command = [sys.executable, "-m", "app.cli", "import", "roster", str(file)]
    run = partial(
        subprocess.run,
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    refused = run(command)  # a file with a row in error writes nothing...
    assert refused.returncode == 2 and "line 9:" in refused.stderr
    with psycopg.connect(database_url) as conn:
        query = "SELECT count(*) FROM roster_entries WHERE region_code = %s"
        assert conn.execute(query, (region,)).fetchone() == (0,)
    done = run([*command, "--import-valid"], check=True)  # ...unless asked for the valid rows
    assert "5000 rows: 4999 new" in done.stdout and "1 rejected" in done.stdout
    bars = [line for line in done.stderr.splitlines() if line.startswith("roster import")]
    # a line per tenth of the work (stderr is a pipe here), ending full
    assert 5 <= len(bars) <= 11
    assert bars[-1].startswith("roster import roster.csv [" + "#" * 30 + "] 5000/5000")
    assert "line 9:" in done.stderr  # the rejected row, by its line in the file
    with psycopg.connect(database_url) as conn:
        listed = conn.execute(
            "SELECT count(*) FROM roster_entries WHERE region_code = %s", (region,)
        ).fetchone()
    assert listed == (4_999,)
