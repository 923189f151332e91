"""`make run` as a newcomer meets it: the embedded PostgreSQL it started stops with it, whether
the terminal's Ctrl-C reaches the whole process group or a process manager sends SIGTERM to
make alone. Before, SIGTERM left PostgreSQL running for the next run to reuse unnoticed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("how", ["sigterm-to-make", "ctrl-c-to-the-group"])
def test_make_run_stops_its_embedded_postgres(how: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env.update(DATA_DIR=str(tmp_path / "data"), PORT=str(port), LOG_LEVEL="WARNING")
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, as a terminal gives it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(ready, 90), "make run did not serve"
        postmaster = int((tmp_path / "data" / "pg" / "postmaster.pid").read_text().split()[0])
        assert alive(postmaster)
        if how == "sigterm-to-make":
            make.send_signal(signal.SIGTERM)
        else:
            os.killpg(make.pid, signal.SIGINT)
        make.wait(30)
        assert wait_until(lambda: not alive(postmaster), 30), "PostgreSQL was left running"
        assert not ready()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        make.wait(10)
