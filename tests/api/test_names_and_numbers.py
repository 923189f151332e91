"""Human identifiers (issue 28): a contract number the bank prints (county, year, sequence),
assigned at signing, unique, searchable; the borrower's name beside every loan and application
(masked for the roles that need none); loans found by name, ID number, contract number or
household number; the list's totals; the roster template that imports as it is."""

from __future__ import annotations

import io
import re
import threading
from decimal import Decimal

import httpx
import psycopg
from python_calamine import CalamineWorkbook

from app.core import clock
from app.core.auth import Role
from app.core.sheets import XLSX_MEDIA_TYPE
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county
from tests.api.test_foundation import assert_problem


def _signed(svc: Servicing, name: str) -> dict:
    person = Person(id_number(svc.flow.region), name=name)
    svc.flow.import_roster([person])
    household = svc.flow.household([person])
    svc.flow.rate(household["id"])
    application = svc.flow.apply(household, amount="12000.00", term_months=12).json()["id"]
    assert svc.flow.investigate(application).status_code == 201
    assert svc.flow.approve(application, amount="12000.00").status_code == 200
    signed = svc.flow.sign(application)
    assert signed.status_code == 201, signed.text
    return {"person": person, "household": household, "loan": signed.json()["loan"]}


def test_contract_numbers_run_by_county_and_year_and_find_their_loan(
    client: httpx.Client,
) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    county, year = svc.flow.region, clock.today().year
    first, second = _signed(svc, "欧阳春"), _signed(svc, "李秋")
    numbers = [first["loan"]["contract_number"], second["loan"]["contract_number"]]
    assert numbers == [f"{county}-{year}-000001", f"{county}-{year}-000002"]
    assert first["loan"]["borrower_name"] == "欧阳春"
    officer = svc.flow.officer
    loan = client.get(f"/v1/loans/{first['loan']['id']}", headers=officer).json()
    assert (loan["contract_number"], loan["borrower_name"]) == (numbers[0], "欧阳春")

    def found(**params: str) -> list[str]:
        answer = client.get("/v1/loans", params={"region": county, **params}, headers=officer)
        assert answer.status_code == 200, answer.text
        return [x["contract_number"] for x in answer.json()["items"]]

    assert found(contract_number=numbers[1]) == [numbers[1]]
    assert found(name="欧阳") == [numbers[0]]
    assert found(id_number=second["person"].id_number) == [numbers[1]]
    assert found(household_number=first["household"]["household_number"]) == [numbers[0]]
    assert found(contract_number=f"{county}-{year}-999999") == []
    assert_problem(client.get("/v1/loans", params={"id_number": "123"}, headers=officer), 422)
    # several loans by id (the inbox names its requests' loans in one call)
    ids = [first["loan"]["id"], second["loan"]["id"]]
    assert sorted(found(id=ids)) == sorted(numbers)  # type: ignore[arg-type]
    # another county sees neither, by any of these
    stranger = headers(Role.loan_officer, sub="stranger", regions=[own_county("53")])
    for params in ({"contract_number": numbers[0]}, {"name": "欧阳"}):
        answer = client.get("/v1/loans", params=params, headers=stranger).json()
        assert answer["total"] == 0 and answer["items"] == []


def test_names_are_masked_for_the_roles_that_need_none_and_totals_cover_every_match(
    client: httpx.Client,
) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    made = [_signed(svc, "王小明"), _signed(svc, "赵大")]
    county = svc.flow.region
    auditor = headers(Role.auditor, sub="auditor-names", regions=[county])
    plain = client.get("/v1/loans", params={"region": county}, headers=auditor).json()
    assert plain["total"] == 2 and plain["totals"] is None  # sums only when asked
    listed = client.get(
        "/v1/loans", params={"region": county, "limit": 1, "totals": "true"}, headers=auditor
    )
    body = listed.json()
    assert body["items"][0]["borrower_name"] in ("王**", "赵*")
    assert body["total"] == 2 and len(body["items"]) == 1
    # the totals are over every loan that matches, not the page's one
    assert Decimal(body["totals"]["principal"]) == Decimal("24000.00")
    assert Decimal(body["totals"]["principal_outstanding"]) == Decimal("0.00")  # not disbursed
    applications = client.get(
        "/v1/applications", params={"region": county}, headers=svc.flow.reviewer
    ).json()["items"]
    assert {a["borrower_name"] for a in applications} == {"王小明", "赵大"}
    ids = [m["loan"]["application_id"] for m in made]
    one = client.get("/v1/applications", params={"id": ids[:1]}, headers=svc.flow.reviewer)
    assert [a["id"] for a in one.json()["items"]] == ids[:1]
    masked = client.get("/v1/applications", params={"region": county}, headers=auditor).json()
    assert {a["borrower_name"] for a in masked["items"]} == {"王**", "赵*"}


def test_concurrent_signings_in_one_county_take_distinct_numbers(database_url: str) -> None:
    """The sequence row is locked by the first signing until it commits; the second waits and
    takes the next; a signing rolled back gives its number back (no gaps)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.loans.lifecycle.status import next_contract_number

    county = own_county("53")
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as rolled_back:
        assert next_contract_number(rolled_back, county, 2031) == f"{county}-2031-000001"
        rolled_back.rollback()
    got: list[str] = []
    with Session(engine) as first:
        got.append(next_contract_number(first, county, 2031))

        def second() -> None:
            with Session(engine) as other:
                got.append(next_contract_number(other, county, 2031))
                other.commit()

        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive() and len(got) == 1  # blocked behind the first's lock
        first.commit()
        waiting.join(timeout=10)
    assert got == [f"{county}-2031-000001", f"{county}-2031-000002"]
    engine.dispose()
    with psycopg.connect(database_url) as conn:
        last = conn.execute(
            "SELECT last_number FROM contract_sequences WHERE county = %s AND year = 2031",
            (county,),
        ).fetchone()
    assert last == (2,)


def test_the_roster_template_imports_as_it_is_with_dates_as_people_write_them(
    client: httpx.Client,
) -> None:
    region = own_county("53")
    risk = headers(Role.risk_manager, sub="risk-template", regions=[region])
    template = client.get("/v1/roster/imports/template", headers=risk)
    assert template.status_code == 200 and template.headers["content-type"] == XLSX_MEDIA_TYPE
    book = CalamineWorkbook.from_filelike(io.BytesIO(template.content))
    assert book.sheet_names == ["名单", "填写说明"]
    header = book.get_sheet_by_name("名单").to_python()[0]
    assert header == [
        "身份证号",
        "姓名",
        "户编号",
        "行政区划代码",
        "人员类别",
        "纳入日期",
        "退出日期",
    ]
    guide = book.get_sheet_by_name("填写说明").to_python()
    assert any("2025年3月1日" in str(cell) for row in guide for cell in row)
    # filled in as a clerk would (the header row as the template has it), sent back as CSV
    rows = [
        [id_number(region), "周一", "T0001", region, "防止返贫监测对象", "2024/5/10", ""],
        [id_number(region), "吴二", "T0002", region, "脱贫人口", "2024年5月10日", ""],
        [id_number(region), "郑三", "T0003", region, "脱贫人口", "2024-5-10", ""],
    ]
    csv = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    send = {"content": csv.encode(), "headers": {**risk, "content-type": "text/csv"}}
    done = client.post("/v1/roster/imports", **send)
    assert done.status_code == 201, done.text
    assert done.json()["accepted"] == 3


def test_a_row_reports_every_error_naming_columns_as_the_file_does(
    client: httpx.Client,
) -> None:
    region = own_county("53")
    risk = headers(Role.risk_manager, sub="risk-every-error", regions=[region])
    chinese = "身份证号,姓名,户编号,行政区划代码,人员类别,纳入日期\n"
    bad = "123,,T9,52,富裕户,2024/2/30\n"
    refused = assert_problem(
        client.post(
            "/v1/roster/imports",
            content=(chinese + bad).encode(),
            headers={**risk, "content-type": "text/csv"},
        ),
        422,
    )
    (reason,) = [e["msg"] for e in refused["errors"]]
    for column in ("身份证号", "姓名", "行政区划代码", "人员类别", "纳入日期"):
        assert column in reason, (column, reason)
    assert "2024年2月30日不是有效日期" in reason
    for english in ("id_number", "category", "listed_date", "region_code"):
        assert english not in reason
    # a missing column is named as the file's headers are (Chinese here, English for English)
    short = assert_problem(
        client.post(
            "/v1/roster/imports",
            content="身份证号,姓名\n".encode(),
            headers={**risk, "content-type": "text/csv"},
        ),
        422,
    )
    assert short["detail"].startswith("表头缺少：") and "户编号" in short["detail"]
    assert not re.search(r"[a-z]_[a-z]", short["detail"]), short["detail"]
    english = assert_problem(
        client.post(
            "/v1/roster/imports",
            content=b"id_number,name\n",
            headers={**risk, "content-type": "text/csv"},
        ),
        422,
    )
    assert "household_number" in english["detail"]


def test_downloads_are_declared_binary_for_generated_clients(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/loans",
        "/v1/reports/subsidy-claims",
        "/v1/reports/portfolio-quality",
        "/v1/reports/risk-compensation",
        "/v1/jobs/{job_id}/row-errors",
        "/v1/jobs/{job_id}/output",
        "/v1/roster/imports/template",
    ):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content[XLSX_MEDIA_TYPE]["schema"] == {"type": "string", "format": "binary"}, path
    # a list that answers JSON has file twins that answer nothing else (a generator takes an
    # operation's first content type), with the list's own filters
    for path in (
        "/v1/loans",
        "/v1/reports/subsidy-claims",
        "/v1/reports/portfolio-quality",
        "/v1/reports/risk-compensation",
        "/v1/reports/exemption-cases",
    ):
        listed = {p["name"] for p in paths[path]["get"]["parameters"]}
        for form, media in (("xlsx", XLSX_MEDIA_TYPE), ("csv", "text/csv")):
            twin = paths[f"{path}.{form}"]["get"]
            assert list(twin["responses"]["200"]["content"]) == [media], path
            not_for_files = {"format", "cursor", "limit", "totals"}
            assert {p["name"] for p in twin["parameters"]} == listed - not_for_files
    county = own_county("53")
    officer = headers(Role.loan_officer, sub="twin", regions=[county])
    book = client.get("/v1/loans.xlsx", params={"region": county}, headers=officer)
    assert book.status_code == 200 and book.content.startswith(b"PK")
    assert book.headers["content-type"] == XLSX_MEDIA_TYPE
    refused = client.get(
        "/v1/reports/portfolio-quality.csv", params={"as_of": "2027-03-10"}, headers=officer
    )
    assert refused.status_code == 403  # the list's roles, not more
    # the earliest period's form has opening balances from the period before it (1899Q4)
    risk = headers(Role.risk_manager, sub="twin-risk", regions=[county])
    first = client.get("/v1/reports/subsidy-claims.xlsx", params={"period": "1900Q1"}, headers=risk)
    assert first.status_code == 200 and first.content.startswith(b"PK"), first.text[:300]


def test_an_amount_in_the_wrong_form_is_refused_without_a_pattern(client: httpx.Client) -> None:
    flow = Origination(client, region=own_county("53"))
    _, household = flow.ready_household()
    answer = assert_problem(flow.apply(household, amount="58,000"), 422)
    (error,) = answer["errors"]
    assert error["msg"].startswith("应为大于零的金额（元）") or error["msg"].startswith("应为金额")
    assert "^" not in error["msg"] and "\\d" not in error["msg"]
