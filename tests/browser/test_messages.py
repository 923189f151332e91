"""Texts to borrowers in the console (issue 30), in Chromium: the officer records a household's
opt-out on its page and then finds its texts among those that did not reach a phone; the risk
manager sets the county's reminder days on the county's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import psycopg
import pytest

from app.core.db import get_sessionmaker
from app.core.settings import get_settings
from app.messages import service as messages
from tests.api.console_day import Day, a_county_day
from tests.browser.test_console import Person


@pytest.fixture(scope="module")
def day(live_server: str, database_url: str) -> Iterator[Day]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        found = a_county_day(client)
        yield found
    with psycopg.connect(database_url) as conn:  # no later worker sends this test's texts
        conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = 'test over'"
            " WHERE status = 'pending' AND idempotency_key IN"
            " (SELECT 'sms-' || id FROM messages WHERE region_code = %s)",
            (found.county,),
        )


def test_an_opt_out_and_the_texts_that_did_not_reach_a_phone(
    browser: Any, live_server: str, day: Day, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "sms_gateway_url", "http://127.0.0.1:9")
    monkeypatch.setattr(settings, "public_base_url", live_server)
    monkeypatch.setattr(settings, "sms_quiet_start", datetime.min.time())
    monkeypatch.setattr(settings, "sms_quiet_end", datetime.min.time())
    officer = Person(browser, live_server, "texts-officer")
    officer.sign_in(day.officer, ["loan_officer"], day.county)
    page = officer.page

    page.goto(f"/console/households/{day.overdue['household_id']}")
    texts = page.get_by_role("region", name="短信")
    assert texts.get_by_text("该户接收还款提醒").is_visible()
    texts.get_by_role("link", name="退订短信").click()
    officer.every_field_is_labelled()
    page.get_by_label("不再接收短信").select_option("yes")
    page.get_by_label("农户的要求").fill("户主说短信看不懂，请客户经理上门告知")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r".*/console/households/[0-9a-f-]+$"))
    assert page.get_by_role("region", name="短信").get_by_text("该户已退订短信").is_visible()
    officer.shot("1-opted-out")

    with psycopg.connect(database_url) as conn:
        (open_date,) = conn.execute(
            "SELECT open_date FROM region_business_dates WHERE region_code = %s", (day.county,)
        ).fetchone()
    assert messages.produce_due(get_sessionmaker(), open_date, [day.county]) >= 2

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="短信").click()
    officer.every_field_is_labelled()
    table = page.get_by_role("table")
    assert table.get_by_role("cell", name="已退订").first.is_visible()
    assert not table.get_by_role("cell", name="待发送").count()  # only those not reached
    page.get_by_label("显示全部（默认只显示未送达、退订和无手机号的）").check()
    page.get_by_role("button", name="查看").click()
    assert page.get_by_role("table").get_by_role("cell", name="待发送").first.is_visible()
    officer.shot("2-texts")
    officer.context.close()

    risk = Person(browser, live_server, "texts-risk")
    risk.sign_in(f"risk-{day.county}", ["risk_manager"], day.county)
    risk.page.goto(f"/console/counties/{day.county}")
    assert risk.page.get_by_text("到期前 3 天发送").is_visible()
    form = risk.page.locator("#texts")
    form.get_by_label("到期前几天提醒").fill("7\n1")
    form.get_by_role("button", name="保存").click()
    assert risk.page.get_by_text("到期前 1、7 天发送").is_visible()
    risk.shot("3-reminder-days")
    risk.context.close()
