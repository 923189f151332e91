"""A loan's documents over HTTP (issue 30): each PDF's text read back out of it and checked
against the loan (amount in capitals, rates, subsidy split, the notice's restrictions and
warning), the same bytes on every print with the digest in the audit trail, scope, and what
cannot be printed yet."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from app.core import clock
from app.core.auth import Role
from app.core.settings import get_settings
from app.core.zh_input import rate_text
from app.domain.documents import CURRENT_TEMPLATE
from tests.api.factories import Origination, Person, Servicing, headers, id_number, own_county


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("57")))


def _print(
    svc: Servicing, loan_id: str, kind: str, who: dict[str, str] | None = None
) -> httpx.Response:
    return svc.client.get(f"/v1/loans/{loan_id}/documents/{kind}", headers=who or svc.flow.officer)


def _text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    # the text as printed, without the line breaks a paragraph wraps at
    return "".join(page.extract_text() for page in pages).replace("\n", "")


def _two_person_loan(svc: Servicing) -> tuple[list[Person], dict[str, Any]]:
    flow = svc.flow
    people = [Person(id_number(flow.region), "王小明"), Person(id_number(flow.region), "李秀英")]
    flow.import_roster(people)
    household = flow.household(people)
    flow.rate(household["id"])
    submitted = flow.apply(household, amount="30000.00", term_months=12)
    assert submitted.status_code == 201, submitted.text
    assert flow.investigate(submitted.json()["id"]).status_code == 201
    decided = flow.approve(submitted.json()["id"], amount="30000.00", annual_rate="0.0435")
    assert decided.status_code == 200, decided.text
    signed = flow.sign(submitted.json()["id"])
    assert signed.status_code == 201, signed.text
    return people, signed.json()["loan"]


def test_the_contract_says_the_loan_in_capitals_with_its_rates_restrictions_and_signers(
    svc: Servicing,
) -> None:
    people, loan = _two_person_loan(svc)
    printed = _print(svc, loan["id"], "contract")
    text = _text(printed)
    assert loan["contract_number"] in text
    assert "人民币叁万元整" in text and "¥30,000.00" in text
    assert "年利率4.35%" in text and "固定利率" in text
    assert "等额本息" in text and "12个月" in text
    # 1.6: the split as the loan carries it
    assert f"中央财政贴息年利率{rate_text(loan['central_subsidy_rate'])}" in text
    assert f"地方财政贴息年利率{rate_text(loan['local_subsidy_rate'])}" in text
    borrower = D(loan["annual_rate"]) - D(loan["central_subsidy_rate"])
    borrower -= D(loan["local_subsidy_rate"])
    assert f"借款人承担年利率{rate_text(borrower)}" in text
    # 1.8 and 5.4, in the notice's words
    assert "户借、户用、户还" in text
    assert "不得用于结婚、建房、理财、购置家庭用品等非生产性支出" in text
    assert "入股分红、转贷、指标交换" in text
    assert "非法集资" in text and "金融诈骗" in text
    # penalties pinned at signing: 50% and 100% over 4.35%
    assert "上浮50%计收罚息（年利率6.525%）" in text
    assert "上浮100%计收罚息（年利率8.70%）" in text
    # the indicative schedule: twelve rows and a total of the principal
    assert re.search(r"合计\s*30,000\.00", text)
    # both members sign; the ID number is masked on paper too
    assert "王小明（户主）（签字）" in text and "李秀英（配偶）（签字）" in text
    assert people[0].id_number not in text
    assert f"{people[0].id_number[:4]}**********{people[0].id_number[-4:]}" in text
    assert f"文书模板版本 {CURRENT_TEMPLATE.code}" in text and "ASSIST_2026" in text
    assert printed.headers["bangfu-template-version"] == CURRENT_TEMPLATE.code
    # the font travels inside the file
    assert b"/FontFile2" in printed.content


def test_a_document_is_the_same_bytes_each_time_and_its_digest_is_audited(
    svc: Servicing,
) -> None:
    _, loan = _two_person_loan(svc)
    first, second = _print(svc, loan["id"], "contract"), _print(svc, loan["id"], "contract")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first.headers["repr-digest"] == (
        f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    )
    events = svc.client.get(
        "/v1/audit-events",
        params={"entity_type": "loan", "entity_id": loan["id"]},
        headers=headers(Role.auditor, sub="auditor"),
    ).json()["items"]
    issued = [e for e in events if e["action"] == "document.issue"]
    assert len(issued) == 2
    assert {e["after"]["sha256"] for e in issued} == {digest}
    assert {e["after"]["kind"] for e in issued} == {"contract"}
    assert {e["actor"] for e in issued} == {f"officer-{svc.flow.tag}"}


def test_the_subsidy_notice_names_the_split_its_caps_when_it_stops_and_warns(
    svc: Servicing,
) -> None:
    _, loan = _two_person_loan(svc)
    text = _text(_print(svc, loan["id"], "subsidy_notice"))
    assert "人民币叁万元整" in text
    assert f"中央财政贴息{rate_text(loan['central_subsidy_rate'])}" in text
    assert "按贷款利率的70%，最高不超过2.5个百分点" in text
    assert "test county programme" in text  # the local programme it was signed under
    assert "享受中央贴息的本金以30,000.00 元为限" in text
    assert "您的借款本金全部在贴息范围内" in text
    assert "贷款逾期期间不予贴息" in text  # the county's default
    assert "挪用借款的，自认定之日起停止贴息" in text
    assert "非法集资" in text


def test_the_schedule_waits_for_the_money_and_the_certificate_for_the_last_payment(
    svc: Servicing,
) -> None:
    loan = svc.contracted_loan()
    not_yet = _print(svc, loan["id"], "schedule")
    assert not_yet.status_code == 409 and "尚未放款" in not_yet.json()["detail"]
    svc.disburse(loan["id"], clock.today())
    text = _text(_print(svc, loan["id"], "schedule"))
    rows = svc.schedule(loan["id"])
    assert len(rows) == 12 and all(r["due_date"] in text for r in rows)
    assert re.search(r"合计\s*12,000\.00", text)
    refused = _print(svc, loan["id"], "settlement")
    assert refused.status_code == 409 and "结清" in refused.json()["detail"]

    day = clock.today() + timedelta(days=5)
    svc.close_through(day - timedelta(days=1))
    probe = svc.repay(loan["id"], "999999.00", day)
    owed = D(probe.json()["detail"].split("（")[1].split("）")[0])
    assert svc.repay(loan["id"], f"{owed:.2f}", day).status_code == 201
    text = _text(_print(svc, loan["id"], "settlement"))
    assert "人民币壹万贰仟元整" in text and loan["contract_number"] in text
    assert f"已于{day.year}年{day.month}月{day.day}日全部结清本息" in text


def test_documents_keep_to_the_callers_regions_roles_and_names(svc: Servicing) -> None:
    _, loan = _two_person_loan(svc)
    elsewhere = headers(Role.loan_officer, sub="far", regions=["110101"])
    assert _print(svc, loan["id"], "contract", elsewhere).status_code == 404
    assert _print(svc, loan["id"], "contract", svc.core).status_code == 403
    unknown = svc.client.get(f"/v1/loans/{loan['id']}/documents/will", headers=svc.flow.officer)
    # a document the service does not print is not there (problem details, as any path)
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    # an auditor reads the paper with the names masked, as every answer shows them
    text = _text(_print(svc, loan["id"], "contract", headers(Role.auditor, sub="aud")))
    assert "王小明" not in text and "王**" in text


def test_a_host_without_the_font_answers_503_and_writes_nothing(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, loan = _two_person_loan(svc)
    monkeypatch.setenv("DOCUMENT_FONT_PATH", "/nonexistent/font.ttc")
    get_settings.cache_clear()
    try:
        missing = _print(svc, loan["id"], "contract")
    finally:
        monkeypatch.delenv("DOCUMENT_FONT_PATH")
        get_settings.cache_clear()
    assert missing.status_code == 503
    assert "fonts-wqy-microhei" in missing.json()["detail"]
    events = svc.client.get(
        "/v1/audit-events",
        params={"entity_type": "loan", "entity_id": loan["id"]},
        headers=headers(Role.auditor, sub="auditor"),
    ).json()["items"]
    assert not [e for e in events if e["action"] == "document.issue"]
