"""Hostile files in and out (issue 26, findings 4 and 5): a CSV field past the limit is a 422
naming its line, never a 500; a line past the limit is a 413; a legacy JSON body has a limit of
its own; and whatever a name starts with, every workbook the service writes holds it as text.
The live-server findings (a workbook that would crash the reader, memory) are in
tests/contract/test_hostile_uploads.py."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from python_calamine import CalamineWorkbook

from app.core import clock, tables
from app.core.auth import Role
from app.core.settings import get_settings
from tests.api.factories import (
    Origination,
    Person,
    Servicing,
    headers,
    id_number,
    own_county,
    roster_csv,
)
from tests.api.test_foundation import assert_problem
from tests.api.test_jobs import ASYNC, roster_rows, run_queued_jobs, started
from tests.api.test_policy_integrity import _legacy_item

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|'/c calc'!A1",
    "http://evil.example/a",
    "0012345",
]


def _formulas(book: bytes) -> list[str]:
    """Formula cells and hyperlinks anywhere in a workbook's sheets."""
    with zipfile.ZipFile(io.BytesIO(book)) as parts:
        return [
            name
            for name in parts.namelist()
            if name.startswith("xl/worksheets/")
            and re.search(rb"<f[ >]|<hyperlink", parts.read(name))
        ]


def test_a_csv_field_past_the_limit_is_422_naming_its_line(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-field", regions=[region])
    rows = roster_rows(region, 3)
    rows[1]["name"] = "长" * (get_settings().upload_max_field_chars + 1)
    body = roster_csv(rows).encode()
    answer = client.post(
        "/v1/roster/imports",
        content=body,
        headers={**risk, "content-type": "text/csv", "accept-language": "zh"},
    )
    assert_problem(answer, 422)
    assert (
        answer.json()["detail"]
        == f"第 3 行有字段超过 {get_settings().upload_max_field_chars:,} 个字符"
    )
    job = started(
        client.post(
            "/v1/roster/imports",
            content=body,
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    run_queued_jobs()
    done = client.get(job["url"], headers=risk).json()
    assert done["status"] == "failed" and "第 3 行" in done["failure"], done
    sheet = client.post(
        "/v1/legacy-loans/sheet-imports",
        content=body,
        headers={**headers(Role.admin, sub="admin-field"), "content-type": "text/csv"},
    )
    assert_problem(sheet, 422)


def test_a_json_line_past_the_limit_is_413(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-jsonl", regions=[region])
    long_line = b'{"name": "' + b"x" * (get_settings().upload_max_line_chars + 10) + b'"}\n'
    answer = client.post(
        "/v1/roster/imports",
        content=b'{"id_number": "1"}\n' + long_line,
        headers={**risk, "content-type": "application/x-ndjson"},
    )
    assert_problem(answer, 413)
    assert "第 2 行" in answer.json()["detail"]


def test_a_json_line_nested_past_parsing_is_a_row_error(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-deep", regions=[region])
    answer = client.post(
        "/v1/roster/imports",
        content=b"[" * 200_000 + b"]" * 200_000 + b"\n",
        headers={**risk, "content-type": "application/x-ndjson"},
    )
    assert_problem(answer, 422)
    assert answer.json()["errors"][0]["loc"] == ["line 1"]


def test_a_legacy_json_body_past_its_own_limit_is_413(client: httpx.Client) -> None:
    limit = get_settings().max_json_import_bytes
    answer = client.post(
        "/v1/legacy-loans/imports",
        content=b'{"loans": [' + b" " * limit + b"]}",
        headers={**headers(Role.admin, sub="admin-json"), "content-type": "application/json"},
    )
    assert_problem(answer, 413)


def test_a_member_named_as_a_formula_is_that_name_in_the_claim_workbook(
    client: httpx.Client,
) -> None:
    """Finding 5: the name on the 明细 sheet a finance department signs reads back as it was
    given, a string cell, and no sheet of the workbook holds a formula or a link."""
    svc = Servicing(Origination(client, region=own_county("52")))
    name = '=HYPERLINK("http://evil.example")'  # the roster CSV of the factory takes no comma
    person = Person(id_number(svc.flow.region), name=name)
    svc.flow.import_roster([person])
    household = svc.flow.household([person])
    svc.flow.rate(household["id"])
    application_id = svc.flow.approved_application(household, amount="12000.00")
    loan = svc.flow.sign(application_id).json()["loan"]
    svc.disburse(loan["id"], clock.today())
    end = (clock.today().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    svc.close_through(end)
    book = client.get(
        "/v1/reports/subsidy-claims",
        headers=headers(Role.risk_manager, sub="risk"),
        params={"period": f"{end:%Y-%m}", "region": svc.flow.region, "format": "xlsx"},
    )
    assert book.status_code == 200, book.text
    lines = CalamineWorkbook.from_filelike(io.BytesIO(book.content))
    rows = lines.get_sheet_by_name("明细").to_python()
    (line,) = [r for r in rows[1:] if r[3] == loan["contract_number"]]
    assert isinstance(line[4], str) and line[4].startswith(name + " "), line
    assert _formulas(book.content) == []


def test_a_contract_number_as_a_formula_is_text_in_the_loan_list_workbook(
    client: httpx.Client,
) -> None:
    svc = Servicing(Origination(client, region=own_county("52")))
    person = Person(id_number(svc.flow.region))
    svc.flow.import_roster([person])
    imported = client.post(
        "/v1/legacy-loans/imports",
        headers=svc.admin,
        json={
            "as_of": "2026-11-20",
            "loans": [_legacy_item(svc.flow.region, person, external_ref="=1+2")],
        },
    )
    assert imported.status_code == 201 and imported.json()["accepted"] == 1, imported.text
    book = client.get(
        "/v1/loans",
        params={"region": svc.flow.region, "format": "xlsx"},
        headers=headers(Role.auditor, sub="auditor-list", regions=[svc.flow.region]),
    )
    assert book.status_code == 200, book.text
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).get_sheet_by_index(0)
    header = rows.to_python()[2]
    column = header.index("原系统合同号")
    assert [r[column] for r in rows.to_python()[3:-1]] == ["=1+2"]
    assert _formulas(book.content) == []


def test_a_rejected_contract_number_as_a_formula_is_text_in_the_row_errors_workbook(
    client: httpx.Client,
) -> None:
    svc = Servicing(Origination(client, region=own_county("52")))
    person = Person(id_number(svc.flow.region))
    item = _legacy_item(svc.flow.region, person, external_ref="=2+3", signed_on="2026-03-01")
    job = started(
        client.post(
            "/v1/legacy-loans/imports",
            headers={**svc.admin, **ASYNC},
            json={"as_of": "2026-11-20", "loans": [item]},
        )
    )
    run_queued_jobs()
    done = client.get(job["url"], headers=svc.admin).json()
    assert done["status"] == "succeeded" and done["row_error_count"] == 1, done
    book = client.get(f"{job['url']}/row-errors", params={"format": "xlsx"}, headers=svc.admin)
    assert book.status_code == 200, book.text
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).get_sheet_by_index(0)
    assert "=2+3" in rows.to_python()[1], rows.to_python()
    assert _formulas(book.content) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_every_text_is_a_string_cell_whatever_it_starts_with(value: str) -> None:
    table = tables.Table(
        "名单", [tables.Column("姓名"), tables.Column("金额", "money")], [[value, 5]]
    )
    book = tables.xlsx_bytes(table)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_index(0).to_python()
    assert rows[1] == [value, 5.0]  # under the header row
    assert _formulas(book) == []


def test_only_the_workbook_module_writes_workbooks() -> None:
    """One safe way to write a cell: XlsxWriter is imported in app/core/workbook.py alone,
    which offers no way to write a formula."""
    writers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if re.search(r"^\s*(import xlsxwriter|from xlsxwriter)", path.read_text(), re.M)
    )
    assert writers == ["app/core/workbook.py"]
    source = (ROOT / "app/core/workbook.py").read_text()
    assert "write_formula" not in source and 'strings_to_formulas": False' in source
