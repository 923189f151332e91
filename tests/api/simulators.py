"""A simulator of an outside system (`bangfu core-sim`, `bangfu sms-sim`) run as its own
process on a free port for a test, and stopped after it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import _free_port

BANGFU = [sys.executable, "-m", "app.cli"]
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def simulator(command: str, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(its address, its process) once it answers its health check."""
    port = _free_port()
    process = subprocess.Popen(
        [*BANGFU, command, "--port", str(port), *options], cwd=ROOT, env=os.environ.copy()
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
