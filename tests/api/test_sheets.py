"""Excel in (issue 18): roster workbooks with Chinese headers, a file with errors writes
nothing unless asked, and its row errors come back as a sheet to fix it by. The workbooks
are made here with XlsxWriter, as Excel would save them, and read back with python-calamine."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import httpx
import xlsxwriter
from python_calamine import CalamineWorkbook

from app.core.auth import Role
from app.core.sheets import XLSX_MEDIA_TYPE
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county
from tests.api.test_foundation import assert_problem
from tests.api.test_jobs import ASYNC, roster_rows, run_queued_jobs, started

CHINESE_HEADERS = ["身份证号", "姓名", "户编号", "行政区划代码", "人员类别", "纳入日期"]


def workbook(rows: list[list[Any]], header: list[str] = CHINESE_HEADERS) -> bytes:
    """A workbook as a county office saves one: dates as date cells, the region code as a
    number cell, the ID number as text."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("名单")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


def read_sheet(body: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()


def _people(region: str, n: int) -> list[list[Any]]:
    return [
        [
            r["id_number"],
            r["name"],
            r["household_number"],
            int(region),
            "监测对象",
            date(2025, 3, 1),
        ]
        for r in roster_rows(region, n)
    ]


def test_a_roster_workbook_with_chinese_headers(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-xlsx", regions=[region])
    people = _people(region, 3)
    sent = client.post(
        "/v1/roster/imports",
        content=workbook(people),
        headers={**risk, "content-type": XLSX_MEDIA_TYPE},
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["lines"], sent.json()["accepted"], sent.json()["rejected"]) == (3, 3, 0)
    # what a generated client sends: octet-stream with the format named
    again = client.post(
        "/v1/roster/imports?format=xlsx",
        content=workbook(people),
        headers={**risk, "content-type": "application/octet-stream"},
    )
    assert again.status_code == 201 and again.json()["unchanged"] == 3
    found = client.get(f"/v1/households?region={region}", headers=risk)
    assert found.status_code == 200


def test_a_workbook_with_errors_writes_nothing_unless_asked(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-xlsx-bad", regions=[region])
    people = _people(region, 3)
    people[1][0] = float(people[1][0][:17] + "0")  # an ID number typed into a number cell
    people[2][4] = "富裕户"  # not a roster category
    send = {"content": workbook(people), "headers": {**risk, "content-type": XLSX_MEDIA_TYPE}}
    refused = assert_problem(client.post("/v1/roster/imports", **send), 422)
    assert refused["type"] == "urn:bangfu:problem:rows-in-error"
    assert refused["detail"].startswith("文件中有 2 行有错误，未写入任何数据")
    reasons = {e["loc"][0]: e["msg"] for e in refused["errors"]}
    assert set(reasons) == {"line 3", "line 4"}
    # named by the file's own (Chinese) headers
    assert "15 位" in reasons["line 3"] and "人员类别" in reasons["line 4"]
    partly = client.post("/v1/roster/imports?on_errors=import_valid", **send)
    assert partly.status_code == 201, partly.text
    # the good row is new: the refusal before wrote nothing
    assert (partly.json()["accepted"], partly.json()["rejected"]) == (1, 2)


def test_row_errors_download_as_a_sheet_to_fix_the_file_by(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-xlsx-job", regions=[region])
    people = _people(region, 4)
    people[3][5] = "三月一日"  # not a date
    job = started(
        client.post(
            "/v1/roster/imports",
            content=workbook(people),
            headers={**risk, **ASYNC, "content-type": XLSX_MEDIA_TYPE},
        )
    )
    assert job["progress"]["total"] == 4  # rows under the header, read from the workbook
    run_queued_jobs()
    failed = client.get(job["url"], headers=risk).json()
    assert failed["status"] == "failed" and failed["row_error_count"] == 1
    assert "未写入任何数据" in failed["failure"]
    sheet = client.get(f"{job['url']}/row-errors?format=xlsx", headers=risk)
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == XLSX_MEDIA_TYPE
    assert 'filename="job-' in sheet.headers["content-disposition"]
    rows = read_sheet(sheet.content)
    assert rows[0] == ["位置", "原因", "类型"]
    assert rows[1][0] == "line 5" and "日期" in rows[1][1]
    by_accept = client.get(f"{job['url']}/row-errors", headers={**risk, "Accept": XLSX_MEDIA_TYPE})
    assert read_sheet(by_accept.content) == rows
    as_csv = client.get(f"{job['url']}/row-errors", headers=risk)
    assert as_csv.content.startswith("\ufeff位置,原因,类型".encode())


def test_a_gb18030_file_with_errors_and_the_valid_rows_asked_for(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-gbk-bad", regions=[region])
    rows = roster_rows(region, 2)
    text = "身份证号,姓名,户编号,行政区划代码,人员类别,纳入日期\n" + "".join(
        f"{r['id_number']},{r['name']},{r['household_number']},{region},{cat},2025-01-15\n"
        for r, cat in zip(rows, ("脱贫人口", "不在名单"), strict=True)
    )
    send = {"content": text.encode("gb18030"), "headers": {**risk, "content-type": "text/csv"}}
    assert_problem(client.post("/v1/roster/imports", **send), 422)
    kept = client.post("/v1/roster/imports?on_errors=import_valid", **send)
    assert (kept.json()["accepted"], kept.json()["rejected"]) == (1, 1)
    assert kept.json()["rejections"][0]["line"] == 3


LEGACY_HEADERS = [
    "合同编号",
    "借款人姓名",
    "身份证号",
    "行政区划代码",
    "地址",
    "放款账号",
    "贷款金额",
    "年利率",
    "期限（月）",
    "还款方式",
    "贷款用途",
    "签约日期",
    "放款日期",
    "中央贴息率",
    "地方贴息率",
    "贴息本金",
    "已还期数",
    "续贷展期次数",
]


def _contract_row(region: str, person: Person, **changes: Any) -> list[Any]:
    values = {
        "合同编号": f"TPR-{uuid.uuid4().hex[:10]}",
        "借款人姓名": person.name,
        "身份证号": person.id_number,
        "行政区划代码": int(region),
        "地址": "某村三组",
        "放款账号": "6217009876543210",
        "贷款金额": 20000,
        "年利率": 0.03,
        "期限（月）": 12,
        "还款方式": "按期付息到期还本",
        "贷款用途": "种植业",
        "签约日期": date(2026, 1, 20),
        "放款日期": date(2026, 1, 20),
        "中央贴息率": 0.02,
        "地方贴息率": 0.005,
        "贴息本金": 20000,
        "已还期数": 9,
        "续贷展期次数": 0,
        **changes,
    }
    return [values[h] for h in LEGACY_HEADERS]


def test_legacy_contracts_from_the_earlier_systems_workbook(client: httpx.Client) -> None:
    svc = Servicing(Origination(client, region=own_county("54")))
    people = [Person(id_number(svc.flow.region)) for _ in range(3)]
    svc.flow.import_roster(people)
    region = svc.flow.region
    rows = [
        _contract_row(region, people[0]),
        _contract_row(region, people[1], 年利率=0.09),  # above the LPR at signing (5.2)
        _contract_row(region, people[2], 还款方式="随便还"),  # not a repayment method
    ]
    send = {
        "content": workbook(rows, LEGACY_HEADERS),
        "headers": {**svc.admin, "content-type": XLSX_MEDIA_TYPE},
    }
    refused = assert_problem(
        client.post("/v1/legacy-loans/sheet-imports?as_of=2026-11-20", **send), 422
    )
    reasons = {e["loc"][0]: e["msg"] for e in refused["errors"]}
    assert set(reasons) == {"line 3", "line 4"}, reasons
    assert "LPR" in reasons["line 3"] and reasons["line 4"].startswith("还款方式：应为以下之一：")
    assert "repayment_method" not in reasons["line 4"] and "等额本金" in reasons["line 4"]
    kept = client.post(
        "/v1/legacy-loans/sheet-imports?as_of=2026-11-20&on_errors=import_valid", **send
    )
    assert kept.status_code == 201, kept.text
    body = kept.json()
    # the valid contract is new: the refusal before wrote nothing
    assert (body["lines"], body["accepted"], body["rejected"]) == (3, 1, 2)
    assert [r["line"] for r in body["rejections"]] == [3, 4]
    assert body["rejections"][0]["external_ref"] == rows[1][0]
    (loan,) = client.get(
        "/v1/loans", params={"external_ref": rows[0][0]}, headers=svc.flow.officer
    ).json()["items"]
    assert (loan["principal"], loan["repayment_method"]) == (
        "20000.00",
        "interest_then_principal",
    )


def test_a_legacy_sheet_without_the_renewal_count_is_refused(client: httpx.Client) -> None:
    """Finding 6: the prior renewals/extensions (2.3) are never assumed to be none; the JSON
    import requires the field and so does the sheet."""
    svc = Servicing(Origination(client, region=own_county("54")))
    person = Person(id_number(svc.flow.region))
    svc.flow.import_roster([person])
    headers_without = [h for h in LEGACY_HEADERS if h != "续贷展期次数"]
    row = _contract_row(svc.flow.region, person)
    del row[LEGACY_HEADERS.index("续贷展期次数")]
    refused = assert_problem(
        client.post(
            "/v1/legacy-loans/sheet-imports?as_of=2026-11-20",
            content=workbook([row], headers_without),
            headers={**svc.admin, "content-type": XLSX_MEDIA_TYPE},
        ),
        422,
    )
    (reason,) = [e["msg"] for e in refused["errors"]]
    assert "renewals_or_extensions" in reason, reason
    found = client.get("/v1/loans", params={"external_ref": row[0]}, headers=svc.flow.officer)
    assert found.json()["items"] == []
