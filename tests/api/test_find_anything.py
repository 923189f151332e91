"""Find anything (issue 18): lists with their total and the sorts people use, the loan list as
a file for Excel, the reviewer's queue of renewals and extensions, and ratings with reasons."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from app.core import clock
from app.core.auth import Role
from app.core.sheets import XLSX_MEDIA_TYPE
from tests.api.factories import Origination, Servicing, headers, own_county
from tests.api.test_after_disbursement import decide, request
from tests.api.test_foundation import assert_problem

D = Decimal


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("53")))


def _get(svc: Servicing, path: str, **params: Any) -> dict[str, Any]:
    answer = svc.client.get(path, params=params, headers=svc.flow.officer)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_loan_list_counts_sorts_and_exports(svc: Servicing) -> None:
    for amount in ("12000.00", "20000.00", "15000.00"):
        svc.active_loan(clock.today(), amount=amount)
    county = svc.flow.region
    first = _get(svc, "/v1/loans", region=county, sort="-principal", limit=2)
    assert first["total"] == 3
    assert [i["principal"] for i in first["items"]] == ["20000.00", "15000.00"]
    rest = _get(svc, "/v1/loans", region=county, sort="-principal", cursor=first["next_cursor"])
    assert [i["principal"] for i in rest["items"]] == ["12000.00"] and rest["total"] == 3
    assert rest["next_cursor"] is None
    ascending = _get(svc, "/v1/loans", region=county, sort="principal")
    assert [i["principal"] for i in ascending["items"]] == ["12000.00", "15000.00", "20000.00"]
    # a cursor belongs to its order
    other_order = svc.client.get(
        "/v1/loans",
        params={"region": county, "sort": "signed_on", "cursor": first["next_cursor"]},
        headers=svc.flow.officer,
    )
    assert_problem(other_order, 422)
    assert _get(svc, "/v1/loans", region=county, status="closed")["total"] == 0

    workbook = svc.client.get(
        "/v1/loans",
        params={"region": county, "sort": "-principal", "format": "xlsx"},
        headers=svc.flow.officer,
    )
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    rows = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).get_sheet_by_index(0)
    title, note, header, *lines, total = rows.to_python()
    assert title[0] == "帮扶小额信贷贷款清单" and note[0].startswith("填报银行：")
    assert header[:6] == ["合同编号", "借款人", "县级区划代码", "县（市、区）", "状态", "风险分类"]
    amounts = [line[header.index("合同金额（元）")] for line in lines]
    assert amounts == [20000.0, 15000.0, 12000.0]
    assert total[0] == "合计" and total[header.index("合同金额（元）")] == 47000.0
    assert {line[4] for line in lines} == {"在贷"} and {line[5] for line in lines} == {"正常"}
    assert all(line[0].startswith(f"{county}-") and line[1] for line in lines)
    as_csv = svc.client.get(
        "/v1/loans", params={"region": county}, headers={**svc.flow.officer, "Accept": "text/csv"}
    )
    assert as_csv.content.startswith("\ufeff合同编号,借款人,县级区划代码".encode())
    assert as_csv.text.count("\n") == 4


def test_the_application_list_counts_and_sorts(svc: Servicing) -> None:
    for amount in ("9000.00", "11000.00"):
        _, household = svc.flow.ready_household()
        assert svc.flow.apply(household, amount=amount).status_code == 201
    county = svc.flow.region
    newest = _get(svc, "/v1/applications", region=county)
    assert newest["total"] == 2 and newest["items"][0]["amount"] == "11000.00"
    largest = _get(svc, "/v1/applications", region=county, sort="amount", limit=1)
    assert largest["total"] == 2 and largest["items"][0]["amount"] == "9000.00"
    after = _get(
        svc, "/v1/applications", region=county, sort="amount", cursor=largest["next_cursor"]
    )
    assert [a["amount"] for a in after["items"]] == ["11000.00"]


def test_a_reviewers_queue_of_renewals_and_extensions(svc: Servicing) -> None:
    county = svc.flow.region
    loans = [svc.active_loan(clock.today()) for _ in range(2)]
    svc.close_through(clock.today() + timedelta(days=10))
    for loan in loans:
        assert request(svc, loan["id"], "extension", months=6).status_code == 201
    queue = svc.client.get(
        "/v1/chain-requests", params={"region": county}, headers=svc.flow.second_reviewer
    ).json()
    assert queue["total"] == 2
    assert {i["loan_id"] for i in queue["items"]} == {loan["id"] for loan in loans}
    assert all(i["kind"] == "extension" and i["may_decide"] for i in queue["items"])
    # the reviewer who approved the loans' applications took part in them (4.1)
    approver = svc.client.get(
        "/v1/chain-requests", params={"region": county}, headers=svc.flow.reviewer
    ).json()
    assert not any(i["may_decide"] for i in approver["items"])
    assert all(i["principal_outstanding"] == "12000.00" for i in queue["items"])
    # the officer who asked sees them too, but may not decide their own
    own = _get(svc, "/v1/chain-requests", region=county)
    assert not any(i["may_decide"] for i in own["items"])
    assert decide(svc, loans[0]["id"], "extension").status_code == 200
    left = svc.client.get(
        "/v1/chain-requests", params={"region": county}, headers=svc.flow.reviewer
    ).json()
    assert [i["loan_id"] for i in left["items"]] == [loans[1]["id"]] and left["total"] == 1
    decided = _get(svc, "/v1/chain-requests", region=county, status="approved")
    assert decided["total"] == 1
    # another county's reviewer sees none of it
    elsewhere = headers(Role.credit_reviewer, sub="reviewer-far", regions=["65"])
    far = svc.client.get("/v1/chain-requests", params={"region": county}, headers=elsewhere)
    assert far.json()["total"] == 0


def test_a_households_ratings_read_with_their_reasons(svc: Servicing) -> None:
    _, household = svc.flow.ready_household()
    ratings = _get(svc, f"/v1/households/{household['id']}/ratings")
    assert isinstance(ratings, list) and len(ratings) >= 1
    latest = ratings[0]
    assert latest["grade"] and latest["reasons"]
    labels = {r["code"]: r["label"] for r in latest["reasons"]}
    assert labels["debt_service_ratio"] == "偿债比例"
    assert labels["village_committee_opinion"] == "村委会评议意见"
    assert all(r["points"] <= r["max_points"] for r in latest["reasons"])
    details = {r["code"]: r["detail"] for r in latest["reasons"]}
    assert details["debt_service_ratio"].startswith("现有还款占收入")  # Chinese by default
    english = svc.client.get(
        f"/v1/households/{household['id']}/ratings",
        headers={**svc.flow.officer, "Accept-Language": "en"},
    ).json()
    assert english[0]["reasons"][0]["detail"].startswith("existing repayments")
