"""Integrators generate clients from the API document: openapi-python-client (pinned) makes a
function for every operation. (It cannot type a CSV or JSON-lines body or an SVG answer; the
roster import is generated with its `application/octet-stream` body, the chart without a
parsed answer.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx


def test_every_operation_gets_a_generated_function(live_server: str, tmp_path: Path) -> None:
    spec = httpx.get(f"{live_server}/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "client"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "will not be generated" not in done.stdout, done.stdout[-3000:]
    operations = sum(len(methods) for methods in spec["paths"].values())
    generated = [p for p in (out / "api").rglob("*.py") if p.name != "__init__.py"]
    assert len(generated) == operations
