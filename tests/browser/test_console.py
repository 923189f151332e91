"""The officers' console in a real browser (issue 19): Playwright drives Debian's Chromium
(/usr/bin/chromium; `.ci/run` installs it, nothing is downloaded) against the live test server.

An officer signs in, finds a household, applies (the trials answer as she types), records the
investigation; a reviewer decides; the officer signs the contract and sees the schedule; the
county page draws its chart; an officer of another county sees none of it. Each page's
screenshot is written under `.test-output/console/` (or $BANGFU_TEST_OUTPUT)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core import clock
from tests.api.factories import Origination, Servicing, id_number, own_county
from tests.api.factories import Person as FactoryPerson

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).parents[2]
OUTPUT = Path(os.environ.get("BANGFU_TEST_OUTPUT", ROOT / ".test-output")) / "console"

sync_api = pytest.importorskip("playwright.sync_api")


class Person:
    """One person at a desk: their own browser context (cookies), at 1366×768."""

    def __init__(self, browser: Any, base: str, name: str) -> None:
        self.context = browser.new_context(
            base_url=base, viewport={"width": 1366, "height": 768}, locale="zh-CN"
        )
        self.page = self.context.new_page()
        self.name = name

    def sign_in(self, subject: str, roles: list[str], regions: str) -> None:
        page = self.page
        page.goto("/console/")
        assert page.url.endswith("/console/sign-in")  # nobody signed in: to the sign-in page
        page.get_by_label("用户名").fill(subject)
        for box in page.locator("input[name=role]").all():
            if box.get_attribute("value") in roles:
                box.check()
            else:
                box.uncheck()
        page.get_by_label("管辖地区").fill(regions)
        page.get_by_role("button", name="签发并登录").click()
        page.wait_for_url(re.compile(r".*/console/(departments)?$"))  # a department: its view

    def shot(self, what: str) -> None:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"{self.name}-{what}.png"), full_page=True)

    def every_field_is_labelled(self) -> None:
        unlabelled = self.page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden')
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                .map(e => e.name)"""
        )
        assert unlabelled == [], unlabelled


def test_an_officer_applies_a_reviewer_decides_and_another_county_sees_nothing(
    browser: Any, client: httpx.Client, live_server: str
) -> None:
    county = own_county("52")
    svc = Servicing(Origination(client, region=county))
    people = [FactoryPerson(id_number(county))]
    svc.flow.import_roster(people)  # on the roster and registered; the officer rates it
    household = svc.flow.household(people)
    number = household["household_number"]

    officer = Person(browser, live_server, "1-officer")
    officer.sign_in("officer-zhao", ["loan_officer"], county)
    assert officer.page.get_by_role("heading", name="今日工作").is_visible()
    officer.page.keyboard.press("Tab")  # the first stop is the skip link
    assert officer.page.evaluate("document.activeElement.textContent") == "跳到正文"
    officer.shot("today")

    # find the household by its roster number
    officer.page.get_by_role("link", name="查找农户").click()
    officer.page.get_by_label("身份证号、姓名、户编号").fill(number)
    officer.page.get_by_role("button", name="查找").click()
    officer.page.get_by_role("link", name=number).click()
    assert officer.page.get_by_role("heading", name=f"农户 {number}").is_visible()
    assert officer.page.get_by_text("尚无信用评级").is_visible()
    officer.every_field_is_labelled()
    for field, value in (
        ("家庭年收入", "60000"),
        ("生产经营年收入", "45000"),
        ("家庭资产", "150000"),
        ("家庭负债", "10000"),
        ("现有年还款额", "3000"),
        ("生产经营年限", "8"),
    ):
        officer.page.get_by_label(field, exact=False).first.fill(value)
    officer.page.get_by_label("村委会评议意见").select_option("positive")
    officer.page.get_by_role("button", name="评级").click()
    assert officer.page.get_by_text("偿债比例").is_visible()  # the rating, with its reasons
    officer.shot("household")

    # apply: the trials answer as the officer types
    officer.page.get_by_role("link", name="申请贷款").click()
    officer.every_field_is_labelled()
    officer.page.get_by_label("申请金额").fill("30000")
    officer.page.get_by_label("期限（月").fill("24")
    officer.page.get_by_label("用途", exact=True).select_option("livestock")
    officer.page.get_by_label("用途说明").fill("扩大肉牛养殖，购入 3 头西门塔尔牛")
    preview = officer.page.locator("#preview")
    preview.locator(".verdict.ok").wait_for()
    assert preview.get_by_text("中央财政贴息率").is_visible()
    officer.page.get_by_label("申请金额").fill("150000")  # over the cap: the trial says so
    preview.locator(".verdict.no").wait_for()
    assert preview.locator("tr.fail td", has_text="1.2").first.is_visible()
    officer.shot("apply-over-the-cap")
    officer.page.get_by_label("申请金额").fill("30000")
    preview.locator(".verdict.ok").wait_for()
    assert preview.locator("tr.fail").count() == 0
    officer.shot("apply")
    officer.page.get_by_role("button", name="提交申请").click()
    officer.page.wait_for_url(re.compile(r".*/console/applications/[0-9a-f-]+$"))
    application_url = officer.page.url
    rules = officer.page.locator("table.rules tbody tr")
    assert rules.count() >= 10
    assert officer.page.locator("table.rules td", has_text="1.1").first.is_visible()
    officer.shot("application")

    # the pre-loan investigation (4.1), before anyone decides
    officer.every_field_is_labelled()
    officer.page.get_by_label("调查情况").fill("实地查看牛棚，存栏 12 头，需求真实")
    officer.page.get_by_role("button", name="保存调查").click()
    assert officer.page.get_by_text("实地查看牛棚").is_visible()

    # the submitter may not decide it, even holding the reviewer's role too (4.1, 审贷分离)
    both = Person(browser, live_server, "1b-submitter-as-reviewer")
    both.sign_in("officer-zhao", ["loan_officer", "credit_reviewer"], county)
    both.page.goto(application_url)
    if not both.page.get_by_label("年利率").input_value():
        both.page.get_by_label("年利率").fill("0.0345")
    both.page.get_by_role("button", name="提交审批").click()
    assert "审贷分离" in both.page.get_by_role("alert").inner_text()
    both.shot("maker-checker")
    both.context.close()

    # the reviewer finds it in today's work and approves it
    reviewer = Person(browser, live_server, "2-reviewer")
    reviewer.sign_in("reviewer-qian", ["credit_reviewer"], county)
    waiting = reviewer.page.get_by_role("region", name=re.compile("待审批的申请"))
    waiting.get_by_role("link", name=people[0].name).click()  # named, not an id fragment
    reviewer.every_field_is_labelled()
    if not reviewer.page.get_by_label("年利率").input_value():
        reviewer.page.get_by_label("年利率").fill("0.0345")
    reviewer.shot("decide")
    reviewer.page.get_by_role("button", name="提交审批").click()
    assert reviewer.page.get_by_role("heading", name=re.compile("已批准")).is_visible()
    reviewer.shot("decided")

    # the officer signs the contract and sees the schedule
    officer.page.goto(application_url)
    officer.page.get_by_role("button", name="签订借款合同").click()
    officer.page.wait_for_url(re.compile(r".*/console/loans/[0-9a-f-]+$"))
    loan_url = officer.page.url
    schedule = officer.page.get_by_role("region", name="还款计划")
    assert schedule.locator("tbody tr").count() == 24 + 1  # the instalments and the total
    assert officer.page.get_by_role("heading", name=re.compile("已签约")).is_visible()
    officer.shot("loan")

    # disbursed and a day closed: the loan and the county page carry figures and the chart
    loan_id = loan_url.rsplit("/", 1)[1]
    svc.disburse(loan_id, clock.today())
    svc.close_through(clock.today() + timedelta(days=1))
    officer.page.reload()
    assert officer.page.get_by_role("heading", name=re.compile("在贷")).is_visible()
    officer.every_field_is_labelled()
    officer.page.get_by_label("资金使用情况").select_option("as_declared")
    officer.page.get_by_label("走访记录").fill("牛棚已扩建，存栏 15 头")
    officer.page.get_by_role("button", name="保存走访").click()
    visits = officer.page.get_by_role("region", name="贷后走访")
    assert visits.get_by_text("牛棚已扩建").is_visible()
    assert visits.get_by_role("cell", name="按约定用途使用").is_visible()
    officer.shot("loan-disbursed")

    # an extension: the officer asks, the reviewer finds it in today's work and decides
    officer.page.get_by_label("展期月数").fill("6")
    officer.page.get_by_label("展期理由").fill("受灾导致销售回款延迟")
    officer.page.get_by_role("button", name="提交展期申请").click()
    requests = officer.page.get_by_role("region", name="续贷、展期申请")
    assert requests.get_by_role("cell", name="待审批").is_visible()
    # decided by a reviewer who had no part in the loan (its application's reviewer did, 4.1)
    second = Person(browser, live_server, "3-second-reviewer")
    second.sign_in("reviewer-zhou", ["credit_reviewer"], county)
    second.page.get_by_role("link", name="今日工作").click()
    queue = second.page.get_by_role("region", name=re.compile("续贷、展期待审批"))
    contract = client.get(f"/v1/loans/{loan_id}", headers=svc.flow.officer).json()
    queue.get_by_role("link", name=re.compile(contract["contract_number"])).click()
    second.every_field_is_labelled()
    second.page.get_by_label("审批意见").fill("受灾属实，同意展期")
    second.page.get_by_role("button", name="提交审批").click()
    decided = second.page.get_by_role("region", name="续贷、展期申请")
    assert decided.get_by_role("cell", name="已批准").is_visible()
    extended = second.page.get_by_role("region", name="还款计划").locator("tbody tr")
    assert extended.count() == 24 + 6 + 1  # six more instalments, and the total
    second.shot("extension-decided")
    officer.page.get_by_role("link", name=re.compile("县域概况")).click()
    # the portfolio report is for risk managers, auditors and admins: so in the console too
    assert officer.page.get_by_text("仅风险经理、审计人员和管理员可见").is_visible()
    manager = Person(browser, live_server, "5-risk-manager")
    manager.sign_in("risk-li", ["risk_manager"], county)
    manager.page.get_by_role("link", name=re.compile("县域概况")).click()
    manager.page.get_by_role("heading", name=re.compile("资产质量")).wait_for()
    manager.page.locator("figure img").scroll_into_view_if_needed()
    manager.page.wait_for_function("document.querySelector('figure img').naturalWidth > 0")
    manager.shot("county")
    manager.context.close()

    # reading pages need no JavaScript
    plain = browser.new_context(base_url=live_server, java_script_enabled=False)
    plain.add_cookies(officer.context.cookies())
    reading = plain.new_page()
    reading.goto(loan_url)
    assert reading.get_by_role("region", name="还款计划").locator("tbody tr").count() == 31
    plain.close()

    # an officer of another county sees none of it
    other = Person(browser, live_server, "3-other-county")
    other.sign_in("officer-sun", ["loan_officer"], own_county("52"))
    for url in (f"/console/households/{household['id']}", application_url, loan_url):
        answer = other.page.goto(url)
        assert answer is not None and answer.status == 404, url
        assert other.page.get_by_role("heading", name="未找到").is_visible()
    other.shot("not-found")
    other.page.goto(f"/console/counties/{county}")
    assert other.page.get_by_role("heading", name="未找到").is_visible()
    other.page.goto(f"/console/households?q={number}")
    assert other.page.get_by_text("没有找到符合条件的农户").is_visible()
    assert not other.page.get_by_text(people[0].name).count()
    other.shot("search-nothing")
    for person in (officer, reviewer, other):
        person.context.close()


def test_the_console_refuses_a_bad_token_and_writes_from_elsewhere(
    browser: Any, live_server: str
) -> None:
    person = Person(browser, live_server, "4-sign-in")
    person.page.goto("/console/sign-in")
    person.every_field_is_labelled()
    person.page.get_by_label("令牌").fill("not-a-token")
    person.page.get_by_role("button", name="登录", exact=True).click()
    assert person.page.get_by_role("alert").inner_text() == "令牌无效或已过期"
    person.shot("bad-token")
    person.context.close()
    # a form posted from another site is not taken (Origin checked beside SameSite)
    forged = httpx.post(
        f"{live_server}/console/sign-in/development",
        data={"subject": "x", "role": "admin", "regions": "*"},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 303 and forged.headers["location"] == "/console/sign-in"
    assert "bangfu_console" not in forged.headers.get("set-cookie", "")


def test_minting_a_token_is_refused_in_production(
    live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.settings import Environment, get_settings

    monkeypatch.setattr(get_settings(), "environment", Environment.production)
    page = httpx.get(f"{live_server}/console/sign-in")
    assert page.status_code == 200 and "签发测试令牌" not in page.text
    assert "使用银行令牌登录" in page.text
    minted = httpx.post(
        f"{live_server}/console/sign-in/development",
        data={"subject": "x", "role": "admin", "regions": "*"},
        # in production the console's origin is https (TLS ends at the bank's proxy)
        headers={"Origin": live_server.replace("http://", "https://")},
        follow_redirects=False,
    )
    assert minted.status_code == 403 and "bangfu_console" not in minted.headers.get(
        "set-cookie", ""
    )
