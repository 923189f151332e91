"""`bangfu demo` runs to the end against a freshly migrated database, a real `bangfu serve`
and the simulator it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.core.dbroles import with_role
from tests.conftest import SERVICE_ROLE, _free_port

ROOT = Path(__file__).resolve().parents[2]


def test_guided_demo_runs_to_the_end(scratch_database) -> None:
    url = scratch_database("demo")
    port, sim_port = _free_port(), _free_port()
    env = {
        **os.environ,
        # migrated by `serve` as the owner, served as the service role, as deployed
        "MIGRATION_DATABASE_URL": url,
        "DATABASE_URL": with_role(url, SERVICE_ROLE),
        "ALLOW_FUTURE_BUSINESS_DATES": "true",
        "OUTBOX_WORKER_IN_PROCESS": "true",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CORE_BANKING_URL": f"http://127.0.0.1:{sim_port}",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        demo = subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "demo",
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--core-banking-url",
                f"http://127.0.0.1:{sim_port}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "demo finished" in demo.stdout
    for step in (
        "Import the roster",
        "Sign the contract",
        "core banking confirmed",
        "penalty",
        "extension",
        "Statement",
    ):
        assert step.lower() in demo.stdout.lower()
