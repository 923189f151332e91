"""The departments' view (issue 30; 3.4 信息共享, 5.3): a finance department, an agriculture
department and a regulator read aggregates within their regions and nothing else: no names, ID
numbers or phones in any answer they can get, every read audited, everything else refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from app.core import clock
from app.core.auth import DEPARTMENTS, Role
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county

PERIOD_END = date(2027, 3, 31)


@pytest.fixture(scope="module")
def county(live_server: str) -> dict[str, Any]:
    """A county with a loan to a named borrower, closed through the month's end."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        flow = Origination(client, region=own_county("59"))
        svc = Servicing(flow)
        person = Person(id_number(flow.region), "赵春花")
        flow.import_roster([person])
        household = flow.household([person])
        flow.rate(household["id"])
        submitted = flow.apply(household, amount="20000.00", term_months=12)
        assert flow.investigate(submitted.json()["id"]).status_code == 201
        assert flow.approve(submitted.json()["id"], amount="20000.00").status_code == 200
        loan = flow.sign(submitted.json()["id"]).json()["loan"]
        svc.disburse(loan["id"], clock.today())
        svc.close_through(PERIOD_END)
        return {"code": flow.region, "person": person, "loan": loan}


def _department(role: Role, county: dict[str, Any]) -> dict[str, str]:
    return headers(role, sub=f"{role.value}-{county['code']}", regions=[county["code"]])


def _reads(county: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    code = county["code"]
    return [
        ("/v1/reports/portfolio-quality", {"as_of": PERIOD_END.isoformat()}),
        ("/v1/reports/portfolio-quality", {"as_of": PERIOD_END.isoformat(), "format": "xlsx"}),
        (
            "/v1/reports/portfolio-quality/chart.svg",
            {"regions": code, "from": "2027-03-01", "to": PERIOD_END.isoformat()},
        ),
        ("/v1/reports/subsidy-claims", {"period": "2027-03"}),
        ("/v1/reports/subsidy-claims", {"period": "2027-03", "format": "xlsx"}),
        ("/v1/reports/subsidy-claims.xlsx", {"period": "2027-03"}),
    ]


def _text_of(answer: httpx.Response, tmp_path: Any) -> str:
    if "spreadsheetml" in answer.headers["content-type"]:
        book = tmp_path / "answer.xlsx"
        book.write_bytes(answer.content)
        workbook = CalamineWorkbook.from_path(str(book))
        return " ".join(
            str(cell)
            for name in workbook.sheet_names
            for row in workbook.get_sheet_by_name(name).to_python()
            for cell in row
        )
    return answer.text


@pytest.mark.parametrize("role", sorted(DEPARTMENTS))
def test_a_department_reads_aggregates_with_no_personal_data_and_each_read_is_audited(
    client: httpx.Client, county: dict[str, Any], role: Role, tmp_path: Any
) -> None:
    who = _department(role, county)
    person = county["person"]
    number, phone = person.id_number, person.phone
    personal = {
        person.name,
        person.name[0] + "**",  # masked names are a person's too
        number,
        number[:4] + "*" * 10 + number[-4:],
        phone,
        phone[:3] + "****" + phone[-4:],
        county["loan"]["contract_number"],
    }
    subject = f"{role.value}-{county['code']}"
    before = _audited(client, subject)
    for path, params in _reads(county):
        answer = client.get(path, params=params, headers=who)
        assert answer.status_code == 200, (path, params, answer.text[:300])
        text = _text_of(answer, tmp_path)
        assert not [p for p in personal if p in text], (path, params)
    claims = client.get("/v1/reports/subsidy-claims", params={"period": "2027-03"}, headers=who)
    (mine,) = claims.json()["counties"]  # its own county only, its form without lines
    assert mine["region_code"] == county["code"] and mine["lines"] == []
    assert float(mine["central_claimed"]) > 0
    asked_lines = client.get(
        "/v1/reports/subsidy-claims", params={"period": "2027-03", "lines": "true"}, headers=who
    )
    assert asked_lines.json()["counties"][0]["lines"] == []
    refused = client.get(
        "/v1/reports/subsidy-claims", params={"period": "2027-03", "format": "csv"}, headers=who
    )
    assert refused.status_code == 403 and refused.json()["type"].endswith("aggregates-only")
    after = _audited(client, subject)
    read = [e for e in after if e["id"] not in {b["id"] for b in before}]
    # every read above, the refused one too: who, what and with which filters
    assert len(read) == len(_reads(county)) + 3
    assert {e["entity_id"] for e in read} == {path for path, _ in _reads(county)}
    assert all(e["actor_role"] == role.value for e in read)
    assert any(e["after"]["query"] == {"period": "2027-03", "lines": "true"} for e in read)


def _audited(client: httpx.Client, subject: str) -> list[dict[str, Any]]:
    events = client.get(
        "/v1/audit-events",
        params={"entity_type": "report", "limit": 500},
        headers=headers(Role.auditor, sub="auditor"),
    ).json()["items"]
    return [e for e in events if e["action"] == "department.read" and e["actor"] == subject]


@pytest.mark.parametrize("role", sorted(DEPARTMENTS))
def test_a_department_reaches_nothing_but_aggregates(
    client: httpx.Client, county: dict[str, Any], role: Role
) -> None:
    who = _department(role, county)
    loan = county["loan"]
    for path in (
        "/v1/loans",
        f"/v1/loans/{loan['id']}",
        f"/v1/loans/{loan['id']}/documents/contract",
        "/v1/households",
        "/v1/applications",
        "/v1/decisions",
        "/v1/audit-events",
        "/v1/collection-cases",
        "/v1/reports/risk-compensation?period=2027-03",
    ):
        assert client.get(path, headers=who).status_code == 403, path
    # and within its regions only: another county's figures are not there
    elsewhere = client.get(
        "/v1/reports/portfolio-quality",
        params={"as_of": PERIOD_END.isoformat(), "region": "110101"},
        headers=who,
    )
    assert elsewhere.status_code in (403, 404) or elsewhere.json()["regions"] == []
