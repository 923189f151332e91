"""The monthly monitoring report (issue 30; 5.3): produced by the scheduled work once a county's
month is closed, once however often it runs; its figures those of the loans and of the batch's
month-end stats; a correction found later kept as the next revision beside the first; read by
a department (audited) with no personal data; as a workbook too."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import httpx
import psycopg
import pytest
from python_calamine import CalamineWorkbook

from app.core import clock
from app.core.auth import Role
from app.core.db import get_sessionmaker
from app.reports import monthly
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_after_disbursement import decide, request, short_loan

MARCH = date(2027, 3, 31)


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("56")))


def _report(svc: Servicing, who: dict[str, str], **params: str) -> httpx.Response:
    return svc.client.get(
        "/v1/reports/monitoring", params={"period": "2027-03", **params}, headers=who
    )


def test_the_month_is_reported_once_its_figures_those_of_the_book_and_corrections_are_revisions(
    svc: Servicing, database_url: str, tmp_path: Any
) -> None:
    county = svc.flow.region
    first = short_loan(svc)  # paid out in March: new in the month
    second = svc.active_loan(clock.today(), amount="30000.00")
    svc.close_through(clock.today() + timedelta(days=10))
    asked = request(svc, first["id"], "extension", months=3)  # asked in March, decided later
    assert asked.status_code == 201, asked.text
    svc.close_through(MARCH)
    # the scheduled work, as the scheduler runs it (twice: the second keeps nothing)
    assert monthly.produce_due(get_sessionmaker(), MARCH, [county]) == 1
    assert monthly.produce_due(get_sessionmaker(), MARCH, [county]) == 0

    risk = headers(Role.risk_manager, sub=f"risk-{svc.flow.tag}", regions=[county])
    read = _report(svc, risk)
    assert read.status_code == 200, read.text
    (mine,) = read.json()["counties"]
    figures = mine["figures"]
    quality = svc.client.get(
        "/v1/reports/portfolio-quality", params={"as_of": MARCH.isoformat()}, headers=risk
    ).json()
    assert figures["active_loans"] == quality["active_loans"] == 2
    assert D(figures["balance"]) == D(quality["balance"]) == D("42000.00")
    assert (figures["new_loans"], figures["households_served"]) == (2, 2)
    assert D(figures["new_amount"]) == D("42000.00")
    assert D(figures["average_amount"]) == D("21000.00")
    assert D(figures["average_rate"]) == D("0.043500")
    assert D(figures["central_subsidy"]) > 0 and figures["extensions"] == 0
    assert mine["revision"] == 1 and mine["revisions"] == []
    assert mine["month_on_month"]["balance"] is None  # no February report
    assert read.json()["total"] == figures  # one county: its figures, worked out again

    # the extension asked in March is approved in April: March's figures change, and the month
    # produced again keeps a second revision beside the first
    assert decide(svc, first["id"], "extension").status_code == 200
    again = svc.client.post(
        "/v1/reports/monitoring/revisions", json={"period": "2027-03"}, headers=risk
    )
    assert again.status_code == 200 and again.json()["revisions_kept"] == 1
    assert (
        svc.client.post(
            "/v1/reports/monitoring/revisions", json={"period": "2027-03"}, headers=risk
        ).json()["revisions_kept"]
        == 0
    )
    (mine,) = _report(svc, risk).json()["counties"]
    assert mine["revision"] == 2 and mine["figures"]["extensions"] == 1
    assert [r["revision"] for r in mine["revisions"]] == [1]
    assert mine["revisions"][0]["figures"]["extensions"] == 0
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM monitoring_reports WHERE region_code = %s", (county,))

    # a department reads it (audited), no person in it; and as a workbook
    regulator = headers(Role.regulator, sub=f"cbirc-{county}", regions=[county])
    seen = _report(svc, regulator)
    assert seen.status_code == 200
    assert second["contract_number"] not in seen.text and "张" not in seen.text
    book = tmp_path / "monitoring.xlsx"
    book.write_bytes(_report(svc, regulator, format="xlsx").content)
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("监测月报").to_python()
    assert any(county in str(row[0]) and row[1] == 2 for row in rows)
    assert rows[-1][0] == "合计"
    events = svc.client.get(
        "/v1/audit-events",
        params={"entity_type": "report", "limit": 100},
        headers=headers(Role.auditor, sub="auditor"),
    ).json()["items"]
    assert len([e for e in events if e["actor"] == f"cbirc-{county}"]) == 2


def test_a_month_not_closed_is_not_reported(svc: Servicing) -> None:
    svc.active_loan(clock.today())
    risk = headers(Role.risk_manager, sub=f"risk-{svc.flow.tag}", regions=[svc.flow.region])
    assert monthly.produce_due(get_sessionmaker(), MARCH, [svc.flow.region]) == 0
    refused = svc.client.post(
        "/v1/reports/monitoring/revisions", json={"period": "2027-03"}, headers=risk
    )
    assert refused.status_code == 409
    assert _report(svc, risk).json()["counties"] == []
