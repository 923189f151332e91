"""Contract fuzzing with schemathesis (v4) against the live app: every operation, every check,
all phases including the stateful one, with a token holding every role. Bounded here; `make
fuzz` runs it long."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.auth import Role, issue_token
from app.core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def test_schemathesis_finds_nothing(
    live_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real business dates only: a fuzzed batch for the year 2199 would close every county of
    # the test database day by day.
    monkeypatch.setattr(get_settings(), "allow_future_business_dates", False)
    token = issue_token("schemathesis", list(Role), ["*"])
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            examples,
            "--seed",
            os.environ.get("SCHEMATHESIS_SEED", "2026"),
            "--no-color",
            # the end-of-day batch may catch up months of business days in one request
            "--request-timeout",
            "180",
            "-H",
            f"Authorization: Bearer {token}",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Tested:" in result.stdout and "failures" not in summary.splitlines()[-1]
