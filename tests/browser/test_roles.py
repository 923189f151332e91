"""Each role's day in the console, in Chromium at 1366×768 (issue 28): the officer's
collections, promises, disbursement and registering a household; the reviewer's one inbox;
the risk manager's county, suspension, class override and roster import; the finance clerk's
claims and downloads; the auditor's loan trail; a loan's documents printed (issue 30). Every
page is screenshotted; one pass is done with the keyboard alone; a refused form keeps what was
typed."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from app.core.db import get_sessionmaker
from app.reports import monthly
from tests.api.console_day import Day, a_county_day
from tests.api.factories import id_number
from tests.api.test_jobs import run_queued_jobs
from tests.browser.test_console import Person


@pytest.fixture(scope="module")
def day(live_server: str) -> Iterator[Day]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield a_county_day(client)


def _desk(
    browser: Any, live_server: str, name: str, subject: str, roles: list[str], day: Day
) -> Person:
    person = Person(browser, live_server, f"role-{name}")
    person.page.on("dialog", lambda dialog: dialog.accept())  # the confirm before a send
    person.sign_in(subject, roles, day.county)
    return person


def test_the_officer_s_day(browser: Any, live_server: str, day: Day) -> None:
    officer = _desk(browser, live_server, "officer", day.officer, ["loan_officer"], day)
    page = officer.page
    officer.shot("1-today")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="催收").click()
    officer.shot("2-collections")
    page.get_by_role("link", name="登记催收").first.click()
    assert page.get_by_role("heading", name=re.compile(day.overdue["contract_number"])).is_visible()
    officer.every_field_is_labelled()
    form = page.locator("#collection_action")
    form.get_by_label("催收方式").select_option("home_visit")
    form.get_by_label("参与人身份").select_option("village_committee")
    form.get_by_label("参与人姓名").fill("李支书、王会计")
    form.get_by_label("有还款意愿").check()
    form.get_by_label("催收记录").fill("上门了解，户主因病住院，家属表示秋收后还款")
    form.get_by_role("button", name="登记").click()
    records = page.get_by_role("region", name="催收记录")
    assert records.get_by_text("户主因病住院").is_visible()
    assert records.get_by_text("李支书（村委会）").is_visible()
    promise = page.locator("#promise")
    soon = date.fromisoformat(day.overdue["business_date"]) + timedelta(days=20)
    promise.get_by_label("承诺还款日").fill(f"{soon.year}年{soon.month}月{soon.day}日")
    promise.get_by_label("承诺金额（元）").fill("1,500")
    promise.get_by_role("button", name="登记承诺").click()
    assert page.get_by_role("region", name="还款承诺").get_by_text("1,500.00").is_visible()
    officer.shot("3-collection-case")

    # the loan list: find a loan by its contract number; totals and a download
    page.get_by_role("link", name="贷款清单").click()
    page.get_by_label("合同编号、姓名、身份证号或户编号").fill(day.contracted["contract_number"])
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("共 1 笔").is_visible()
    officer.shot("4-loan-list")
    with page.expect_download() as done:
        page.get_by_role("link", name="下载 Excel").click()
    rows = CalamineWorkbook.from_path(done.value.path()).get_sheet_by_index(0).to_python()
    assert rows[3][0] == day.contracted["contract_number"] and rows[-1][0] == "合计"

    # the contract printed from the loan's page (issue 30): the PDF the API signed off
    page.get_by_role("link", name=day.contracted["contract_number"]).click()
    with page.expect_download() as printed:
        page.locator("#documents").get_by_role("link", name="借款合同").click()
    assert printed.value.suggested_filename == f"{day.contracted['contract_number']}-contract.pdf"
    text = "".join(p.extract_text() for p in PdfReader(printed.value.path()).pages)
    assert day.contracted["contract_number"] in text and "户借、户用、户还" in text
    assert not page.locator("#documents").get_by_role("link", name="结清证明").count()

    # disbursing the contracted loan, and following it
    page.locator("summary", has_text="发起放款").click()
    page.get_by_role("button", name="发起放款").click()
    disbursed = page.get_by_role("region", name="放款")
    assert disbursed.get_by_role("cell", name="已提交").is_visible()
    assert disbursed.get_by_role("link", name="重发或撤销").is_visible()
    officer.shot("5-disbursement")

    # a visit to the overdue loan, and its photo kept as evidence (issue 30)
    page.goto(f"/console/loans/{day.overdue['id']}")
    page.get_by_label("走访记录").fill("牛舍在用，存栏 5 头")
    page.get_by_role("button", name="保存走访").click()
    visits = page.get_by_role("region", name="贷后走访")
    visits.get_by_role("link", name="照片与扫描件").first.click()
    officer.every_field_is_labelled()
    photo = b"\xff\xd8\xff\xe0" + b"cowshed" * 300
    page.get_by_label("照片或扫描件（JPEG、PNG 或 PDF）").set_input_files(
        files=[{"name": "牛舍.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.get_by_label("说明").fill("走访时拍摄")
    page.get_by_role("button", name="上传").click()
    kept = page.get_by_role("region", name="已保存的材料")
    assert kept.get_by_role("cell", name="走访时拍摄").is_visible()
    with page.expect_download() as fetched:
        kept.get_by_role("link", name="牛舍.jpg").click()
    assert Path(fetched.value.path()).read_bytes() == photo
    officer.shot("5b-evidence")

    # registering a household: a refused form keeps what was typed
    page.goto("/console/households")
    page.get_by_role("link", name="登记新农户").click()
    officer.every_field_is_labelled()
    page.get_by_label("县级区划代码").fill(day.county)
    page.get_by_label("家庭住址").fill("某村三组 12 号")
    page.get_by_label("放款账号").fill("6217000011112222333")
    page.get_by_label("户主姓名").fill("钱多多")
    page.get_by_label("户主身份证号").fill("12345")
    page.get_by_role("button", name="登记").click()
    assert page.get_by_role("alert").first.is_visible()
    assert page.get_by_label("户主姓名").input_value() == "钱多多"
    assert page.get_by_label("家庭住址").input_value() == "某村三组 12 号"
    officer.shot("6-refused-kept")
    page.get_by_label("户主身份证号").fill(id_number(day.county))
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r".*/console/households/[0-9a-f-]+$"))
    assert page.get_by_role("cell", name="钱多多").is_visible()
    officer.shot("7-household")
    officer.context.close()


def test_the_reviewer_s_one_inbox(browser: Any, live_server: str, day: Day) -> None:
    reviewer = _desk(
        browser, live_server, "reviewer", "reviewer-inbox", ["credit_reviewer", "risk_manager"], day
    )
    page = reviewer.page
    page.get_by_role("link", name="待审批").first.click()
    assert page.get_by_role("heading", name=re.compile("贷款申请审批")).first.is_visible()
    assert page.get_by_role("link", name=re.compile(day.person.name)).first.is_visible()
    reviewer.shot("1-inbox")
    item = page.locator("article", has=page.get_by_role("heading", name=re.compile("客户经理移交")))
    item.get_by_label("审批结果").select_option("approve")
    item.get_by_label("审批意见").fill("同意移交")
    item.get_by_role("button", name="提交审批").click()
    page.get_by_label("状态").select_option("approved")
    page.get_by_role("button", name="筛选").click()
    done = page.locator("article", has=page.get_by_role("heading", name=re.compile("客户经理移交")))
    assert done.get_by_text("已批准").first.is_visible()
    reviewer.shot("2-decided")
    reviewer.context.close()


def test_the_risk_manager_s_day(browser: Any, live_server: str, day: Day) -> None:
    manager = _desk(browser, live_server, "risk", "risk-day", ["risk_manager"], day)
    page = manager.page
    page.get_by_role("link", name=re.compile("县域概况")).click()
    manager.shot("1-county")
    status = page.locator("#status")
    status.get_by_label("放贷状态").select_option("suspended")
    status.get_by_label("事由").fill("逾期率上升，暂停新增放款")
    status.get_by_role("button", name="提交").click()
    assert page.locator("dl.facts").get_by_text(re.compile("^暂停放贷")).is_visible()
    manager.shot("2-suspended")
    page.goto(f"/console/loans/{day.overdue['id']}")
    page.locator("summary", has_text="调整风险分类").click()
    override = page.locator("#risk_class")
    override.get_by_label("风险分类").select_option("substandard")
    override.get_by_label("事由").fill("借款人重病，还款来源不足")
    override.get_by_role("button", name="提交").click()
    facts = page.locator("dl.facts")
    assert facts.get_by_text("次级", exact=True).is_visible()
    manager.shot("3-class-override")
    page.get_by_role("link", name="导入").click()
    with page.expect_download() as template:
        page.get_by_role("link", name="下载名单导入模板").click()
    header = CalamineWorkbook.from_path(template.value.path()).get_sheet_by_index(0).to_python()[0]
    row = [id_number(day.county), "冯五", "R-0001", day.county, "脱贫人口", "2024/5/10", ""]
    csv = "\n".join(",".join(r) for r in (header, row)).encode()
    page.get_by_label("名单文件（Excel 或 CSV）").set_input_files(
        files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="导入名单").click()
    page.wait_for_url("**/console/jobs")
    worker = threading.Thread(target=run_queued_jobs)  # outside Playwright's event loop
    worker.start()
    worker.join(timeout=120)
    page.reload()
    assert page.get_by_role("cell", name="已完成").first.is_visible()
    manager.shot("4-import-job")
    for link, shot in (("核销", "5-write-offs"), ("免责", "6-exemptions")):
        page.get_by_role("navigation", name="主导航").get_by_role("link", name=link).click()
        manager.shot(shot)
    manager.context.close()


def test_the_finance_clerk_s_downloads(browser: Any, live_server: str, day: Day) -> None:
    clerk = _desk(
        browser, live_server, "finance", "finance-clerk", ["risk_manager", "auditor"], day
    )
    page = clerk.page
    page.get_by_role("link", name="财务与报表").click()
    page.get_by_label(re.compile("全行不良率")).fill("1.5%")
    page.get_by_role("button", name="查询").click()
    clerk.shot("1-finance")
    with page.expect_download() as quality:
        page.get_by_role("link", name=re.compile("资产质量与五级分类")).click()
    book = CalamineWorkbook.from_path(quality.value.path())
    assert book.sheet_names == ["资产质量", "五级分类"]
    lines = [str(r[0]) for r in book.get_sheet_by_name("资产质量").to_python()]
    assert any(line.startswith("不良容忍度测试（3.1）") for line in lines)
    with page.expect_download() as loans:
        page.get_by_role("link", name="贷款清单（Excel）").click()
    assert loans.value.suggested_filename == "loans.xlsx"
    clerk.context.close()


def test_the_auditor_reads_a_loan_s_trail(browser: Any, live_server: str, day: Day) -> None:
    auditor = _desk(browser, live_server, "auditor", "auditor-day", ["auditor"], day)
    page = auditor.page
    page.get_by_role("link", name="贷款清单").click()
    masked = page.get_by_role("cell", name=re.compile(r"^张\*+$")).first
    assert masked.is_visible()  # names masked for the auditor
    page.get_by_role("link", name=day.overdue["contract_number"]).click()
    with page.expect_download() as printed:
        page.locator("#documents").get_by_role("link", name="贴息告知书").click()
    text = "".join(p.extract_text() for p in PdfReader(printed.value.path()).pages)
    assert "张三" not in text and "非法集资" in text  # the names masked on paper too
    page.get_by_role("link", name="审计轨迹").click()
    assert page.get_by_role("cell", name="生成贷款").first.is_visible()
    assert page.get_by_role("cell", name="出具文书").first.is_visible()
    auditor.shot("1-audit-trail")
    auditor.context.close()


def test_a_keyboard_alone_finds_a_loan(browser: Any, live_server: str, day: Day) -> None:
    officer = _desk(browser, live_server, "keyboard", day.officer, ["loan_officer"], day)
    page = officer.page
    for _ in range(20):  # Tab to the loan list's link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "贷款清单":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/loans")
    page.keyboard.press("Tab")  # the skip link, then the page's first field
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(day.overdue["contract_number"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    assert page.get_by_text("共 1 笔").is_visible()
    officer.shot("keyboard-search")
    officer.context.close()


def test_a_department_reads_aggregates_only(browser: Any, live_server: str, day: Day) -> None:
    """A finance department (3.4) lands on its view: the county's figures and the claim's
    form, no borrower anywhere, and nothing else in its navigation."""
    monthly.produce_due(get_sessionmaker(), date(2027, 3, 31), [day.county])  # the scheduler's
    finance = _desk(browser, live_server, "finance-department", "czj", ["finance_department"], day)
    page = finance.page
    assert page.url.endswith("/console/departments")
    nav = page.get_by_role("navigation", name="主导航")
    assert [link.inner_text() for link in nav.get_by_role("link").all()] == ["部门视图"]
    quality = page.get_by_role("region", name=re.compile("资产质量"))
    assert quality.get_by_role("cell", name=re.compile(day.county)).first.is_visible()
    assert day.overdue["borrower_name"] not in page.content()
    assert day.overdue["contract_number"] not in page.content()
    finance.shot("1-department")
    with page.expect_download() as form:
        page.get_by_role("link", name=re.compile("贴息资金申领汇总表")).click()
    sheets = CalamineWorkbook.from_path(form.value.path()).sheet_names
    assert sheets == ["汇总"]  # the form alone: no sheet of loans
    monitored = page.get_by_role("region", name=re.compile("监测月报"))
    assert monitored.get_by_role("cell", name=re.compile(day.county)).first.is_visible()
    with page.expect_download() as report:
        page.get_by_role("link", name=re.compile("帮扶小额信贷监测月报")).click()
    rows = CalamineWorkbook.from_path(report.value.path()).get_sheet_by_name("监测月报").to_python()
    assert rows[-1][0] == "合计"
    # the loan list's page is there, but the API gives a department no loan to show
    page.goto("/console/loans")
    assert day.overdue["contract_number"] not in page.content()
    finance.context.close()
