"""`bangfu demo` runs to the end against a freshly migrated database, a real `bangfu serve`
and the simulator it starts, finding the server by itself; and a lost confirmation is
explained, not waited on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core.dbroles import with_role
from tests.conftest import SERVICE_ROLE, _free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(url: str, data_dir: Path, **extra: str) -> Iterator[tuple[int, dict[str, str]]]:
    port, sim_port = _free_port(), _free_port()
    env = {
        **os.environ,
        # migrated by `serve` as the owner, served as the service role, as deployed
        "MIGRATION_DATABASE_URL": url,
        "DATABASE_URL": with_role(url, SERVICE_ROLE),
        "ALLOW_FUTURE_BUSINESS_DATES": "true",
        "OUTBOX_WORKER_IN_PROCESS": "true",
        "CORE_BANKING_URL": f"http://127.0.0.1:{sim_port}",
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    if "PUBLIC_BASE_URL" not in extra:
        env.pop("PUBLIC_BASE_URL", None)  # the server calls back where it listens
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
        yield port, env
    finally:
        server.terminate()
        server.wait(timeout=20)


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # no --base-url: the demo finds the server `bangfu serve` announced under DATA_DIR
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "demo"],
        cwd=ROOT,
        env={k: v for k, v in env.items() if k != "PORT"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_guided_demo_runs_to_the_end(
    scratch_database: Callable[[str], str], tmp_path: Path
) -> None:
    with serving(scratch_database("demo"), tmp_path) as (port, env):
        demo = run_demo(env)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert f"server http://127.0.0.1:{port}" in demo.stdout
    assert "demo finished" in demo.stdout
    for step in (
        "Import the roster",
        "Sign the contract",
        "core banking confirmed",
        "penalty",
        "work queue",
        "promise: kept",
        "close_reason: current",
        "extension",
        "Statement",
    ):
        assert step.lower() in demo.stdout.lower()
    assert not (tmp_path / "server.json").exists()  # the server said where it was, then left


def test_a_lost_confirmation_is_explained(
    scratch_database: Callable[[str], str], tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{_free_port()}"
    with serving(scratch_database("demo_lost"), tmp_path, PUBLIC_BASE_URL=nowhere) as (_, env):
        started = time.monotonic()
        demo = run_demo(env)
        took = time.monotonic() - started
    assert demo.returncode == 1, demo.stdout[-2000:]
    assert f"could not reach the server at {nowhere}" in demo.stderr
    assert "PUBLIC_BASE_URL" in demo.stderr
    assert took < 60
