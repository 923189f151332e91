"""Integrators generate clients from the API document: openapi-python-client (pinned) makes a
function for every operation without a warning, and the client it made lists loans against the
test server. (It cannot type CSV, JSON lines, a workbook, SVG, PDF or a photo; the config below
maps those to bytes, as its documentation's `content_type_overrides` says.)"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from app.core.auth import Role, issue_token

CONFIG = """\
post_hooks: []
content_type_overrides:
  text/csv: application/octet-stream
  application/x-ndjson: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
  image/svg+xml: application/octet-stream
  application/pdf: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
"""


def test_a_generated_client_has_every_operation_and_lists_loans(
    live_server: str, tmp_path: Path
) -> None:
    spec = httpx.get(f"{live_server}/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "bangfu_client"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.yml"),
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
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-3000:]
    assert "warning" not in said.lower(), said[-3000:]
    operations = [o for methods in spec["paths"].values() for o in methods.values()]
    generated = {p.stem for p in (out / "api").rglob("*.py") if p.name != "__init__.py"}
    assert generated == {o["operationId"] for o in operations}

    sys.path.insert(0, str(tmp_path))
    try:
        client_module: Any = importlib.import_module("bangfu_client")
        list_loans: Any = importlib.import_module("bangfu_client.api.loans.list_loans")
        sort: Any = importlib.import_module("bangfu_client.models.list_loans_sort")
        token = issue_token("generated-client", [Role.auditor], ["52"])
        with client_module.AuthenticatedClient(base_url=live_server, token=token) as client:
            page = list_loans.sync(client=client, limit=5, sort=sort.ListLoansSort("-principal"))
            assert page is not None and page.total >= len(page.items)
            assert all(loan.region_code.startswith("52") for loan in page.items)
            answer = list_loans.sync_detailed(client=client, limit=0)
            assert answer.status_code == 422  # the problem details, parsed or not, come back
            # a list's file twin is declared binary: the client hands the file over as it came
            as_file: Any = importlib.import_module("bangfu_client.api.loans.list_loans_xlsx")
            book = as_file.sync(client=client, sort=sort.ListLoansSort("-principal"))
            assert book.payload.read().startswith(b"PK")  # a workbook, saved as it came
            quality: Any = importlib.import_module(
                "bangfu_client.api.reports.portfolio_quality_csv"
            )
            sheet = quality.sync_detailed(client=client, as_of=date(2027, 3, 10))
            assert sheet.status_code in (200, 409) and sheet.content
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("bangfu_client")]:
            del sys.modules[name]
