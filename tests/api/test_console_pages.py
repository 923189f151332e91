"""Every console page and every workbook a Chinese user reads, for each role of a county bank's
day (issue 28): no English word on them (codes, numbers and names aside); loans named by
contract number and borrower; forms that read 58,000, 5.8万, 3.45% and 2024年5月10日, and that
keep what was typed when refused. Over HTTP against the live server, signed in as each role."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from python_calamine import CalamineWorkbook

from app.core.sheets import XLSX_MEDIA_TYPE as XLSX
from tests.api.console_day import Day, a_county_day, signed_in

# a word of Latin letters; joined by - _ . : / or holding a digit it is a code, a name or a
# number (officer-zhao, on_errors, 520102-2027-000001), not English
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-_.:/@*][A-Za-z0-9*]+)*")
# abbreviations and file kinds Chinese forms use as they are
# (AAA…BB: the credit grades of the scorecard, 2.2)
ALLOWED = {
    "LPR",
    "Excel",
    "CSV",
    "GB",
    "NPL",
    "T",
    "X",
    "ID",
    "AAA",
    "AA",
    "BBB",
    "BB",
    "CCC",
    "CC",
}


class _Visible(HTMLParser):
    """The text a person sees: element text (not scripts or styles) and the attributes read
    out (alt, title, placeholder, aria-label, a button's value)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        shown = dict(attrs)
        for name in ("alt", "title", "placeholder", "aria-label"):
            if shown.get(name):
                self.parts.append(str(shown[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_words(text: str) -> list[str]:
    words = []
    for token in _TOKEN.findall(text):
        if re.search(r"[-_.:/@*\d]", token) or token in ALLOWED or len(token) < 2:
            continue
        words.append(token)
    return words


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def day(live_server: str) -> Iterator[Day]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield a_county_day(client)


def _pages(day: Day) -> dict[str, tuple[list[str], list[str]]]:
    """Each role's pages: (roles, paths)."""
    loan, case = day.overdue["id"], day.case["id"]
    household = day.household["id"]
    return {
        "officer": (
            ["loan_officer"],
            [
                "/console/",
                "/console/households",
                f"/console/households?q={day.person.name}",
                f"/console/households/{household}",
                f"/console/households/{household}/apply",
                f"/console/applications/{day.application}",
                "/console/loans",
                f"/console/loans?q={day.overdue['contract_number']}",
                f"/console/loans/{loan}",
                f"/console/loans/{day.contracted['id']}",
                "/console/inbox",
                "/console/collections",
                f"/console/collections/{case}",
                "/console/do/register_household/-",
                f"/console/do/member_facts/{household}~{day.household['members'][0]['id']}",
                f"/console/do/withdraw/{day.application}",
                f"/console/do/propose_write_off/{loan}",
                f"/console/do/open_exemption/{loan}",
                f"/console/counties/{day.county}",
                "/console/jobs",
            ],
        ),
        "reviewer": (
            ["credit_reviewer"],
            [
                "/console/",
                "/console/inbox",
                "/console/loans",
                f"/console/applications/{day.application}",
            ],
        ),
        "risk": (
            ["risk_manager"],
            [
                "/console/",
                f"/console/counties/{day.county}",
                f"/console/counties?within={day.county[:2]}",
                "/console/inbox",
                "/console/write-offs",
                "/console/exemptions",
                "/console/finance",
                "/console/imports",
                f"/console/do/risk_class/{loan}",
                "/console/do/reassign/-",
                f"/console/do/lending_status/{day.county}",
            ],
        ),
        "auditor": (
            ["auditor"],
            [
                "/console/loans",
                f"/console/loans/{loan}",
                f"/console/loans/{loan}/audit",
                "/console/finance",
            ],
        ),
    }


def _each_page(live_server: str, day: Day) -> Iterator[tuple[str, str, httpx.Response]]:
    for who, (roles, paths) in _pages(day).items():
        with signed_in(live_server, f"{who}-console", roles, day.county) as browser:
            for path in paths:
                yield who, path, browser.get(path)


def test_every_page_of_every_role_speaks_chinese_and_names_loans(
    live_server: str, day: Day
) -> None:
    contract, name = day.overdue["contract_number"], day.overdue["borrower_name"]
    named_on = set()
    for who, path, page in _each_page(live_server, day):
        assert page.status_code == 200, (who, path, page.status_code, page.text[:500])
        text = visible(page.text)
        assert english_words(text) == [], (who, path, english_words(text))
        # no loan or application named by a fragment of its id
        assert not re.search(r"(?<![-\w])[0-9a-f]{8}(?![-\w])", text), (who, path)
        if contract in text:
            named_on.add(path)
            assert name in text or "*" in text, (who, path)
    loan = day.overdue["id"]
    assert {
        "/console/loans",
        f"/console/loans/{loan}",
        f"/console/collections/{day.case['id']}",
    } <= named_on


def test_every_workbook_a_clerk_downloads_speaks_chinese(live_server: str, day: Day) -> None:
    period = date.fromisoformat(day.overdue["business_date"]).replace(day=1) - timedelta(days=1)
    files = [
        "/console/files/loans.xlsx",
        f"/console/files/subsidy-claims.xlsx?period={period:%Y-%m}",
        f"/console/files/portfolio-quality.xlsx?as_of={day.overdue['business_date']}"
        "&bank_npl_ratio=1.5",
        f"/console/files/risk-compensation.xlsx?period={period:%Y-%m}&bank_npl_ratio=1.5%25",
        "/console/files/exemption-cases.xlsx",
        "/console/files/roster-template.xlsx",
    ]
    with signed_in(live_server, "finance-clerk", ["risk_manager", "auditor"], day.county) as clerk:
        for path in files:
            answer = clerk.get(path)
            if answer.status_code == 409:  # a period not closed yet: said in Chinese
                assert english_words(visible(answer.text)) == [], path
                continue
            assert answer.status_code == 200, (path, answer.text[:300])
            assert answer.headers["content-type"].startswith(XLSX), (path, answer.headers)
            book = CalamineWorkbook.from_filelike(io.BytesIO(answer.content))
            for sheet in book.sheet_names:
                for row in book.get_sheet_by_name(sheet).to_python():
                    for cell in row:
                        if isinstance(cell, str):
                            assert english_words(cell) == [], (path, sheet, cell)


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(
    live_server: str, day: Day
) -> None:
    case = day.case["id"]
    with signed_in(live_server, day.officer, ["loan_officer"], day.county) as officer:
        page = officer.get(f"/console/collections/{case}")
        key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        refused = officer.post(
            f"/console/do/promise/{case}",
            data={"key": key, "promised_on": "2027/13/40", "amount": "五千块"},
        )
        assert refused.status_code == 422
        text = visible(refused.text)
        assert (
            "承诺还款日：2027年13月40日不是有效日期" in text and "承诺金额（元）：应为金额" in text
        )
        assert 'value="2027/13/40"' in refused.text and 'value="五千块"' in refused.text
        assert "^" not in text and english_words(text) == []
        soon = date.fromisoformat(day.overdue["business_date"]) + timedelta(days=10)
        kept = officer.post(
            f"/console/do/promise/{case}",
            data={
                "key": key,
                "promised_on": f"{soon.year}年{soon.month}月{soon.day}日",
                "amount": "0.5万",
            },
        )
        assert kept.status_code == 303, kept.text[:500]
        shown = visible(officer.get(f"/console/collections/{case}").text)
        assert "5,000.00" in shown and soon.isoformat() in shown
        # the rating form: 58,000 and 5.8万 are amounts; a wrong one keeps every field
        household = day.household["id"]
        form = {
            "key": str(uuid.uuid4()),
            "annual_household_income": "58,000",
            "annual_production_income": "4.5万",
            "assets": "150000元",
            "liabilities": "abc",
            "annual_existing_repayments": "3,000",
            "production_experience_years": "8",
            "bureau_worst_days_past_due_24m": "0",
            "village_opinion": "positive",
        }
        refused = officer.post(f"/console/households/{household}/rating", data=form)
        text = visible(refused.text)
        assert "家庭负债（元）：应为金额" in text
        assert 'value="58,000"' in refused.text and 'value="4.5万"' in refused.text
        # the API's own refusal names the fields by the form's labels, never by their paths
        registered = officer.post(
            "/console/do/register_household/-",
            data={
                "key": str(uuid.uuid4()),
                "region_code": day.county,
                "address": "某村三组 12 号",
                "disbursement_account": "6217000011112222333",
                "head_name": "钱多多",
                "head_id_number": "12345",
            },
        )
        text = visible(registered.text)
        assert registered.status_code == 422 and "户主身份证号：" in text, text[-800:]
        assert english_words(text) == [] and "members" not in text, text[-600:]
        assert 'value="钱多多"' in registered.text
        rated = officer.post(
            f"/console/households/{household}/rating",
            data={**form, "liabilities": "1万", "key": str(uuid.uuid4())},
        )
        assert rated.status_code == 303, visible(rated.text)[:500]
