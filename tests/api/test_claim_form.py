"""The claim form without its lines (`lines=false`, issue 29): the same 汇总 sheet, cell for cell,
as the form written with every loan's line, for a draft and for a submitted claim, when the
period has opening balances, interest accrued and interest collected. Each county's figure is
its lines' sum, and a submitted claim's lines show the same facts as its draft's."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from app.core import workbook
from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county


def sheets(client: httpx.Client, who: dict[str, str], **params: str) -> dict[str, list[Any]]:
    answer = client.get(
        "/v1/reports/subsidy-claims", params={**params, "format": "xlsx"}, headers=who
    )
    assert answer.status_code == 200, answer.text
    book = CalamineWorkbook.from_filelike(io.BytesIO(answer.content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_the_form_alone_is_the_form_with_its_lines_without_them(client: httpx.Client) -> None:
    svc = Servicing(Origination(client, region=own_county("56")))
    start = date(2027, 3, 10)
    loans = [svc.active_loan(start) for _ in range(2)]
    first_due = date.fromisoformat(svc.schedule(loans[0]["id"])[0]["due_date"])
    svc.close_through(first_due)
    instalment = svc.schedule(loans[0]["id"])[0]
    owed = Decimal(instalment["principal_due"]) + Decimal(instalment["interest_due"])
    paid = svc.repay(loans[0]["id"], f"{owed:.2f}", first_due + timedelta(days=1))
    assert paid.status_code == 201, paid.text
    svc.close_through(date(2027, 6, 30))
    finance = headers(Role.risk_manager, sub="finance-form", regions=[svc.flow.region])
    params = {"period": "2027Q2", "region": svc.flow.region}

    lines_by_status = {}
    for status in ("草稿", "已提交"):
        whole = sheets(client, finance, **params)
        alone = sheets(client, finance, **params, lines="false")
        assert list(whole) == ["汇总", "明细"] and list(alone) == ["汇总"]
        assert alone["汇总"] == whole["汇总"]
        header, row = whole["汇总"][2], whole["汇总"][3]
        county = dict(zip(header, row, strict=True))
        assert county["状态"] == status and county["申领贷款笔数"] == 2
        # a quarter with something in every column the sums fill
        lines = [dict(zip(whole["明细"][0], r, strict=True)) for r in whole["明细"][1:]]
        for column in ("期初贷款余额", "期末贷款余额", "本期应计利息", "本期实收利息"):
            assert Decimal(str(county[column])) > 0, column
            # the county's figure is its lines' sum
            summed = sum(Decimal(str(line[column.replace("贷款余额", "余额")])) for line in lines)
            assert summed == Decimal(str(county[column])), column
        assert {line["状态"] for line in lines} == {status}
        lines_by_status[status] = [{**line, "状态": None} for line in lines]
        submitted = client.post(
            "/v1/reports/subsidy-claims/submissions",
            headers=finance,
            json={"period": "2027Q2", "region_code": svc.flow.region},
        )
        assert submitted.status_code in (201, 409), submitted.text
    # a submitted claim's frozen lines carry the same facts as its draft's
    assert lines_by_status["已提交"] == lines_by_status["草稿"]


def test_lines_beyond_what_a_sheet_holds_are_refused_not_cut(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XlsxWriter dropped the cells past a sheet's last row without a word; a claim's lines are
    never cut short: past the sheet, the answer says so and points to CSV."""
    svc = Servicing(Origination(client, region=own_county("56")))
    for _ in range(2):
        svc.active_loan(date(2027, 3, 10))
    svc.close_through(date(2027, 6, 30))
    finance = headers(Role.risk_manager, sub="finance-form", regions=[svc.flow.region])
    params = {"period": "2027Q2", "region": svc.flow.region, "format": "xlsx"}
    monkeypatch.setattr(workbook, "ROW_LIMIT", 2)  # a header and one line
    refused = client.get("/v1/reports/subsidy-claims", params=params, headers=finance)
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "urn:bangfu:problem:too-many-lines"
    assert "CSV" in refused.json()["detail"]
    monkeypatch.undo()
    alone = client.get(
        "/v1/reports/subsidy-claims", params={**params, "lines": "false"}, headers=finance
    )
    assert alone.status_code == 200, alone.text


def test_a_submitted_county_and_a_draft_one_share_a_form_in_county_order(
    client: httpx.Client,
) -> None:
    """A form over two counties, the first's claim submitted (its lines frozen, read whole)
    and the second's a draft (streamed as PostgreSQL makes it): the lines are each county's own
    form's lines, county after county, and each county's sums are its lines'."""
    counties = sorted(own_county("56") for _ in range(2))
    flows = [Servicing(Origination(client, region=county)) for county in counties]
    for count, svc in zip((2, 3), flows, strict=True):
        for _ in range(count):
            svc.active_loan(date(2027, 3, 10))
        svc.close_through(date(2027, 6, 30))
    finance = headers(Role.risk_manager, sub="finance-form", regions=counties)
    submitted = client.post(
        "/v1/reports/subsidy-claims/submissions",
        headers=finance,
        json={"period": "2027Q2", "region_code": counties[0]},
    )
    assert submitted.status_code == 201, submitted.text

    both = sheets(client, finance, period="2027Q2")
    alone = [sheets(client, finance, period="2027Q2", region=county) for county in counties]
    assert both["明细"][0] == alone[0]["明细"][0]
    assert both["明细"][1:] == alone[0]["明细"][1:] + alone[1]["明细"][1:]
    lines = [dict(zip(both["明细"][0], row, strict=True)) for row in both["明细"][1:]]
    assert [(line["县级区划代码"], line["状态"]) for line in lines] == [
        (counties[0], "已提交")
    ] * 2 + [(counties[1], "草稿")] * 3
    header = both["汇总"][2]
    for row in both["汇总"][3:5]:
        county = dict(zip(header, row, strict=True))
        own = [line for line in lines if line["县级区划代码"] == county["县级区划代码"]]
        assert county["申领贷款笔数"] == len(own)
        for column in ("期初贷款余额", "期末贷款余额", "本期应计利息", "中央贴息"):
            line_column = column.replace("贷款余额", "余额")
            summed = sum(Decimal(str(line[line_column])) for line in own)
            assert summed == Decimal(str(county[column])), column
