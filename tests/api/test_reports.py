"""Reports over HTTP: subsidy claims reconcile to the batch's accruals to the fen and freeze on
submission; portfolio quality equals an independent computation; risk compensation; the SVG
chart; the data-sharing export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from python_calamine import CalamineWorkbook

from app.core import clock
from app.core.auth import Role
from app.core.identity import region_name
from app.core.settings import get_settings
from app.domain.labels import labelled
from app.reports.periods import parse
from bench.seed import seed_loans
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_foundation import assert_problem

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
SEEDED = date(2026, 6, 30)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def month_after(period_end: date) -> str:
    nxt = period_end + timedelta(days=1)
    return f"{nxt.year}-{nxt.month:02d}"


def accrued(database_url: str, region: str, start: date, end: date) -> tuple[D, D]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT COALESCE(sum(central_subsidy), 0), COALESCE(sum(local_subsidy), 0)"
            " FROM accruals WHERE region_code = %s AND business_date BETWEEN %s AND %s",
            (region, start, end),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_subsidy_claim_reconciles_freezes_and_carries_adjustments(
    client: httpx.Client, database_url: str
) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    loans = [svc.active_loan(clock.today()) for _ in range(3)]
    period = parse(quarter_of(clock.today()))
    reader = headers(Role.risk_manager, sub="finance", regions=[svc.flow.region])
    params = {"period": period.code}
    assert_problem(client.get("/v1/reports/subsidy-claims", params=params, headers=reader), 409)

    svc.close_through(period.end)
    draft = client.get("/v1/reports/subsidy-claims", params=params, headers=reader)
    assert draft.status_code == 200, draft.text
    (county,) = draft.json()["counties"]
    assert (county["region_code"], county["status"], county["loans"]) == (
        svc.flow.region,
        "draft",
        3,
    )
    central, local = accrued(database_url, svc.flow.region, period.start, period.end)
    assert (
        sum(D(x["central_subsidy"]) + D(x["central_adjustment"]) for x in county["lines"])
        == central
        == D(county["central_claimed"])
    )
    assert (
        sum(D(x["local_subsidy"]) + D(x["local_adjustment"]) for x in county["lines"])
        == local
        == D(county["local_claimed"])
    )
    assert central > 0 and local > 0
    assert all("**********" in x["borrower"] for x in county["lines"])

    as_csv = client.get(
        "/v1/reports/subsidy-claims", params=params, headers={**reader, "Accept": "text/csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 3 and sum(D(r["central_subsidy"]) for r in rows) == central

    submitted = client.post(
        "/v1/reports/subsidy-claims/submissions",
        headers=reader,
        json={"period": period.code, "region_code": svc.flow.region},
    )
    assert submitted.status_code == 201, submitted.text
    frozen = submitted.json()
    assert frozen["status"] == "submitted" and frozen["central_claimed"] == f"{central:.2f}"
    assert_problem(
        client.post(
            "/v1/reports/subsidy-claims/submissions",
            headers=reader,
            json={"period": period.code, "region_code": svc.flow.region},
        ),
        409,
    )

    # A late repayment pays one loan off mid-period after the quarter: the submitted claim
    # does not move, and the true-up appears as an adjustment in that later month. Mid-period
    # in a period that is not 30 days long: there the interest to the day (balance × rate ×
    # days / 360) differs from the schedule's even spread of a month's interest, so there is
    # something to true up (in a 30-day period both give the same).
    periods = [
        (date.fromisoformat(r["period_start"]), date.fromisoformat(r["due_date"]))
        for r in svc.schedule(loans[0]["id"])
    ]
    start, _ = next((s, d) for s, d in periods if s > period.end and (d - s).days != 30)
    payoff_day = start + timedelta(days=5)
    svc.close_through(payoff_day - timedelta(days=1))
    loan = svc.loan(loans[0]["id"])
    owed = (
        D(loan["principal_outstanding"])
        + D(loan["overdue_interest"])
        + D(loan["overdue_principal"])
        + D(loan["penalty_outstanding"])
    )
    probe = svc.repay(loans[0]["id"], f"{owed + 1000:.2f}", payoff_day)
    assert_problem(probe, 409)
    owed_total = D(probe.json()["detail"].split("（")[1].split("）")[0])
    assert svc.repay(loans[0]["id"], f"{owed_total:.2f}", payoff_day).status_code == 201
    nxt = parse(f"{payoff_day:%Y-%m}")
    svc.close_through(nxt.end)
    again = client.get("/v1/reports/subsidy-claims", params=params, headers=reader).json()
    assert again["counties"][0]["lines"] == frozen["lines"]
    assert again["counties"][0]["status"] == "submitted"
    following = client.get(
        "/v1/reports/subsidy-claims", params={"period": nxt.code}, headers=reader
    ).json()["counties"][0]
    adjusted = [x for x in following["lines"] if x["loan_id"] == loans[0]["id"]]
    with psycopg.connect(database_url) as conn:
        trued = conn.execute(
            "SELECT interest, central_subsidy, local_subsidy FROM accruals"
            " WHERE loan_id = %s AND kind = 'payoff'",
            (loans[0]["id"],),
        ).fetchall()
    # the pay-off posted its true-up (interest to the day less what the schedule accrued), and
    # the next claim carries exactly its subsidy part as the adjustment
    assert len(trued) == 1 and trued[0][0] != 0
    assert (D(adjusted[0]["central_adjustment"]), D(adjusted[0]["local_adjustment"])) == (
        trued[0][1],
        trued[0][2],
    )
    central_next, _ = accrued(database_url, svc.flow.region, nxt.start, nxt.end)
    assert D(following["central_claimed"]) == central_next

    paid = client.post(
        f"/v1/reports/subsidy-claims/{frozen['claim_id']}/payment",
        headers=reader,
        json={
            "paid_central": f"{central - D('1.00'):.2f}",
            "paid_local": f"{local:.2f}",
            "paid_on": clock.today().isoformat(),
            "reference": "财政拨付2027-001",
        },
    )
    assert paid.status_code == 200, paid.text
    assert (
        paid.json()["status"],
        paid.json()["difference_central"],
        paid.json()["difference_local"],
    ) == ("paid", "-1.00", "0.00")


@pytest.fixture(scope="module")
def seeded(database_url: str, live_server: str) -> str:
    """2,000 SQL-seeded loans in counties 5600xx, closed for 2026-06-30."""
    seed_loans(database_url, 2000, 5, SEEDED)
    admin = headers(Role.admin, sub="ops")
    closed = httpx.post(
        f"{live_server}/v1/batches/eod",
        headers=admin,
        timeout=120,
        json={"business_date": SEEDED.isoformat(), "regions": ["5600"]},
    )
    assert closed.status_code == 200, closed.text
    return "5600"


def read_first_sheet(content: bytes) -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    rows: list[list[object]] = (
        CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    )
    return rows


def test_portfolio_quality_equals_an_independent_computation(
    client: httpx.Client, database_url: str, seeded: str
) -> None:
    reader = headers(Role.auditor, sub="regulator", regions=[seeded])
    report = client.get(
        "/v1/reports/portfolio-quality",
        headers=reader,
        params={"as_of": SEEDED.isoformat(), "bank_npl_ratio": "0.015"},
    )
    assert report.status_code == 200, report.text
    body = report.json()
    with psycopg.connect(database_url) as conn:
        by_class = dict(
            (r[0], (r[1], r[2]))
            for r in conn.execute(
                "SELECT risk_class, count(*), sum(principal_outstanding) FROM loans"
                " WHERE region_code LIKE '5600%%' AND status = 'active' GROUP BY risk_class"
            )
        )
        overdue = conn.execute(
            "SELECT sum(principal_outstanding) FROM loans WHERE region_code LIKE '5600%%'"
            " AND status = 'active' AND days_past_due > 0"
        ).fetchone()[0]
    total = sum(v[1] for v in by_class.values())
    npl = sum(v[1] for k, v in by_class.items() if k in ("substandard", "doubtful", "loss"))
    assert D(body["balance"]) == total
    assert body["active_loans"] == sum(v[0] for v in by_class.values()) == 2000
    for row in body["by_class"]:
        loans, balance = by_class.get(row["risk_class"], (0, D(0)))
        assert (row["loans"], D(row["balance"])) == (loans, balance), row
    assert D(body["overdue_balance"]) == overdue
    assert D(body["npl_ratio"]) == (npl / total).quantize(D("0.000001"))
    assert npl > 0 and by_class["substandard"][0] > 0
    tolerance = body["tolerance"]
    assert (tolerance["clause"], tolerance["limit"]) == ("3.1", "0.045")
    assert tolerance["within"] is (D(body["npl_ratio"]) <= D("0.045"))
    assert len(body["regions"]) == 5 and "560000" in body["regions_in_alert"]
    # the same report as a sheet: a row per county and the total, in Chinese
    sheet = client.get(
        "/v1/reports/portfolio-quality",
        headers=reader,
        params={"as_of": SEEDED.isoformat(), "bank_npl_ratio": "0.015", "format": "xlsx"},
    )
    title, note, header, *rows = read_first_sheet(sheet.content)
    assert title[0] == f"帮扶小额信贷资产质量（截至 {SEEDED}）"
    assert note[0].startswith("填报银行：")
    assert header[:4] == ["县级区划代码", "县（市、区）", "在贷笔数", "贷款余额（元）"]
    counties = rows[: len(body["regions"])]
    total, _, *after = rows[len(body["regions"]) :]
    assert [r[0] for r in counties] == [r["region_code"] for r in body["regions"]]
    assert total[0] == "合计" and total[2] == body["active_loans"]
    assert D(str(total[3])).quantize(D("0.01")) == D(body["balance"])
    assert isinstance(counties[0][header.index("逾期率")], float)  # a percent cell, not text
    alert = next(r for r in rows if r[0] == "560000")
    assert alert[header.index("预警")] == "是"
    words = " ".join(str(line[0]) for line in after)
    assert f"逾期余额 {D(body['overdue_balance']):,.2f} 元" in words
    assert "不良容忍度测试（3.1）" in words and "填报人：" in words
    # the five classes, as the JSON has them
    book = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content))
    _, _, class_header, *classes = book.get_sheet_by_name("五级分类").to_python()
    assert class_header == ["风险分类", "笔数", "余额（元）", "占比"]
    shown = {r[0]: (r[1], D(str(r[2])).quantize(D("0.01"))) for r in classes}
    for row in body["by_class"]:
        assert shown[labelled("RiskClass", row["risk_class"])] == (row["loans"], D(row["balance"]))
    assert shown["其中：逾期贷款"][1] == D(body["overdue_balance"])
    as_csv = client.get(
        "/v1/reports/portfolio-quality",
        headers={**reader, "Accept": "text/csv"},
        params={"as_of": SEEDED.isoformat()},
    )
    assert as_csv.content.startswith("\ufeff县级区划代码,县（市、区）,在贷笔数".encode())


def test_risk_compensation_within_and_beyond_tolerance(
    client: httpx.Client, seeded: str, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setattr(get_settings(), "risk_compensation_funds", "560000:0.5")
    reader = headers(Role.risk_manager, sub="risk", regions=[seeded])
    within = client.get(
        "/v1/reports/risk-compensation",
        headers=reader,
        params={"period": "2026-06", "bank_npl_ratio": "0.02"},
    ).json()
    assert within["tolerance"]["within"] is True
    with psycopg.connect(database_url) as conn:
        npl_loans = conn.execute(
            "SELECT count(*) FROM loans WHERE region_code = '560000' AND status = 'active'"
            " AND risk_class IN ('substandard', 'doubtful', 'loss')"
        ).fetchone()[0]
    assert npl_loans > 0 and len(within["lines"]) == npl_loans
    assert all(
        x["region_code"] == "560000" and x["risk_class"] == "substandard" for x in within["lines"]
    )
    assert all(
        D(x["claimable"]) == (D(x["principal_outstanding"]) / 2).quantize(D("0.01"))
        for x in within["lines"]
    )
    sheet = client.get(
        "/v1/reports/risk-compensation",
        headers=reader,
        params={"period": "2026-06", "bank_npl_ratio": "0.02", "format": "xlsx"},
    )
    _, _, header, *rows = read_first_sheet(sheet.content)
    assert header[2:5] == ["合同编号", "借款人（身份证号脱敏）", "风险分类"]
    rows = rows[: len(within["lines"]) + 1]  # the loans and the total; then the tests
    numbers = {
        x["loan_id"]: client.get(f"/v1/loans/{x['loan_id']}", headers=reader).json()
        for x in within["lines"]
    }
    assert sorted(r[2] for r in rows[:-1] if r[2]) == sorted(
        loan["contract_number"] for loan in numbers.values()
    )
    assert {r[4] for r in rows[:-1]} == {"次级"}
    assert D(str(rows[-1][-1])).quantize(D("0.01")) == D(within["claimable"])
    # The seeded NPL ratios are all below 3 points, so no bank ratio puts them beyond the
    # tolerance; the case beyond it is test_policy_integrity's per-county compensation test.


def test_chart_is_valid_svg_with_one_series_per_region(client: httpx.Client, seeded: str) -> None:
    reader = headers(Role.risk_manager, sub="risk", regions=[seeded])
    asked = ["560000", "560001", "560002"]
    response = client.get(
        "/v1/reports/portfolio-quality/chart.svg",
        headers=reader,
        params={
            "regions": ",".join(asked),
            "from": "2026-06-01",
            "to": "2026-06-30",
            "bank_npl_ratio": "0.015",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    series = root.findall(".//svg:g[@class='series']", ns)
    assert sorted(g.attrib["data-region"] for g in series) == asked
    assert root.find(".//svg:g[@class='tolerance']", ns) is not None
    # readable on paper: a title, labelled axes, gridlines, and a legend naming each county
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{ns['svg']}}}text")]
    assert "帮扶小额信贷逾期率与不良率走势（2026-06-01 至 2026-06-30）" in texts
    assert "营业日（2026-06-01 至 2026-06-30）" in texts and "占贷款余额比例" in texts
    assert {"实线：逾期率", "虚线：不良率", "0.0%"} <= set(texts)
    assert "不良容忍度 4.50%（3.1）" in texts
    legend = root.find(".//svg:g[@class='legend']", ns)
    assert legend is not None
    counties = [t.text for t in legend.findall("svg:text[@class='county']", ns)]
    assert counties == asked  # codes not in GB/T 2260 show as codes
    grid = root.find(".//svg:g[@class='grid']", ns)
    assert grid is not None and len(grid.findall("svg:line", ns)) >= 8


def test_data_sharing_export_with_manifest_and_checksums(
    database_url: str, seeded: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "export", "--period", "2026-06", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {
        "loans_issued.csv",
        "balances.csv",
        "subsidies.csv",
        "risk_classes.csv",
    }
    for entry in manifest["files"]:
        content = (tmp_path / entry["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert b"**" not in content and b"id_number" not in content
    raw = (tmp_path / "balances.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel on Chinese Windows reads UTF-8
    balances = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["region_code"] for r in balances} >= {"560000", "560004"}


def test_the_claim_as_an_excel_workbook_in_chinese(client: httpx.Client) -> None:
    """`format=xlsx` (or `Accept`): a sheet of county totals and one of lines, read back with
    calamine, agree with the JSON answer to the fen."""
    from python_calamine import CalamineWorkbook

    svc = Servicing(Origination(client, region=own_county("53")))
    for _ in range(2):
        svc.active_loan(clock.today())
    period = parse(quarter_of(clock.today()))
    svc.close_through(period.end)
    reader = headers(Role.risk_manager, sub="finance-xlsx", regions=[svc.flow.region])
    params = {"period": period.code}
    as_json = client.get("/v1/reports/subsidy-claims", params=params, headers=reader).json()
    book = client.get(
        "/v1/reports/subsidy-claims", params={**params, "format": "xlsx"}, headers=reader
    )
    assert book.status_code == 200, book.text
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    by_accept = client.get(
        "/v1/reports/subsidy-claims",
        params=params,
        headers={**reader, "Accept": book.headers["content-type"]},
    )
    assert by_accept.headers["content-type"] == book.headers["content-type"]

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(book.content))
    assert workbook.sheet_names == ["汇总", "明细"]
    totals = workbook.get_sheet_by_name("汇总").to_python()
    assert totals[0][0] == f"帮扶小额信贷贴息资金申领表（{period.code}）"
    header = totals[2]
    assert header[:6] == [
        "县级区划代码",
        "县（市、区）",
        "状态",
        "申领贷款笔数",
        "本期新发放笔数",
        "本期结清笔数",
    ]
    (county,) = as_json["counties"]
    row = dict(zip(header, totals[3], strict=True))

    def fen(value: object) -> Decimal:
        return Decimal(str(value)).quantize(Decimal("0.01"))

    assert (row["县级区划代码"], row["状态"], row["申领贷款笔数"]) == (svc.flow.region, "草稿", 2)
    assert row["县（市、区）"] == (region_name(svc.flow.region) or "")
    assert (row["本期新发放笔数"], row["本期结清笔数"]) == (2, 0)
    loans = client.get("/v1/loans", params={"region": svc.flow.region}, headers=reader).json()[
        "items"
    ]
    assert fen(row["期初贷款余额"]) == 0  # both were disbursed in the period
    assert fen(row["期末贷款余额"]) == sum(D(x["principal_outstanding"]) for x in loans)
    assert fen(row["本期应计利息"]) > 0 and fen(row["本期实收利息"]) == 0
    assert fen(row["中央申领合计"]) == Decimal(county["central_claimed"])
    assert fen(row["地方申领合计"]) == Decimal(county["local_claimed"])
    assert totals[4][0] == "合计" and fen(totals[4][header.index("中央贴息")]) == fen(
        row["中央贴息"]
    )
    block = [cell for line in totals[5:] for cell in line if cell]
    signed = " ".join(str(cell) for cell in block)
    assert "填报人：" in signed and "复核人：" in signed and "财政部门审核意见：" in block
    assert any(str(cell).startswith("填报单位（盖章）") for cell in block)
    lines = workbook.get_sheet_by_name("明细").to_python()
    columns = lines[0]
    assert columns[:5] == [
        "县级区划代码",
        "户籍所在县",
        "状态",
        "合同编号",
        "借款人（身份证号脱敏）",
    ]
    by_number = {r[3]: dict(zip(columns, r, strict=True)) for r in lines[1:]}
    by_loan = {loan["id"]: by_number[loan["contract_number"]] for loan in loans}
    assert sorted(by_loan) == sorted(x["loan_id"] for x in county["lines"])
    assert all("**********" in r["借款人（身份证号脱敏）"] for r in by_loan.values())
    for loan in loans:
        line = by_loan[loan["id"]]
        assert fen(line["贷款金额（元）"]) == D(loan["principal"])
        assert line["放款日期"] == date.fromisoformat(loan["value_date"])  # a date cell
        assert line["期限（月）"] == loan["term_months"]
        assert fen(line["期末余额"]) == D(loan["principal_outstanding"])
