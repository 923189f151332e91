"""/console pages of lists and cases (issue 28): the loan list with its filters, sort, totals
and search; the reviewers' one inbox of every decision a second person makes; collection
cases, write-offs, exemption cases, jobs and a loan's audit trail. Each reads the API as the
person signed in; every loan is named by its contract number and its borrower."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.console.actions import ACTIONS, shown
from app.console.forms import Shown
from app.console.pages import (
    Page,
    Signed,
    applications_named,
    business_day,
    items_of,
    loans_named,
)

router = APIRouter(prefix="/console", include_in_schema=False)

_CONTRACT = re.compile(r"^\d{6}-\d{4}-\d{6,}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


def search_params(q: str) -> dict[str, str]:
    """What a search box holds, as the list's filter: a contract number, an ID number, a
    household number (letters and digits), a region code (six digits) or else a name."""
    q = q.strip()
    if not q:
        return {}
    if _CONTRACT.fullmatch(q):
        return {"contract_number": q}
    if _ID_NUMBER.fullmatch(q):
        return {"id_number": q}
    if q.isdigit() and len(q) in (2, 4, 6, 9, 12):
        return {"region": q}
    if q.isascii():
        return {"household_number": q}
    return {"name": q}


LOAN_SORTS = {
    "-contract_number": "合同编号（新到旧）",
    "contract_number": "合同编号（旧到新）",
    "-signed_on": "签约日（新到旧）",
    "signed_on": "签约日（旧到新）",
    "-principal_outstanding": "本金余额（大到小）",
    "-days_past_due": "逾期天数（多到少）",
}


@router.get("/loans", response_class=HTMLResponse)
async def loan_list(
    page: Page,
    q: str = "",
    status: str = "",
    risk_class: str = "",
    officer: str = "",
    sort: str = "-contract_number",
    cursor: str = "",
) -> HTMLResponse:
    """贷款清单: filters, sort, the totals over every loan that matches, and the same list as
    a workbook to download."""
    sort = sort if sort in LOAN_SORTS else "-contract_number"
    params: dict[str, Any] = {
        **search_params(q),
        "status": status,
        "risk_class": risk_class,
        "officer": officer,
        "sort": sort,
    }
    # the sums read every matching loan: for a national list with nothing chosen, the
    # portfolio report has them (kept by the batch), and the page stays quick
    narrowed = any(v for k, v in params.items() if k != "sort") or (
        "*" not in page.user.principal.regions
    )
    found = await page.api.get(
        "/v1/loans", **params, cursor=cursor, limit=50, totals="true" if narrowed else ""
    )
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return page.page(
        "loans.html",
        q=q,
        chosen=status,
        risk_class=risk_class,
        officer=officer,
        sort=sort,
        sorts=LOAN_SORTS,
        loans=items_of(found),
        answer=found.body if found.ok else None,
        problem=found.problem,
        query=query,
    )


# --- the reviewers' inbox -----------------------------------------------------------------

# decided at their own pages (they need terms): the inbox links there
DECIDED_ELSEWHERE = {
    "application": "申请页审批",
    "renewal": "贷款页审批",
    "extension": "贷款页审批",
}


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(page: Page, kind: str = "", status: str = "pending") -> HTMLResponse:
    """待审批: every request for a second person's decision within the person's regions,
    oldest first, each named by its loan's contract number and borrower; those the person may
    decide with the form to decide them."""
    found = await page.api.get("/v1/decisions", kind=kind, status=status, limit=100)
    items = items_of(found)
    named = await loans_named(page.api, (i["loan_id"] for i in items))
    applications = await applications_named(page.api, (i["application_id"] for i in items))
    forms = {
        i["id"]: Shown(ACTIONS["decide"].form, f"/console/do/decide/{i['id']}", id=f"d{n}")
        for n, i in enumerate(items)
        if i["may_decide"] and i["kind"] not in DECIDED_ELSEWHERE
    }
    return page.page(
        "inbox.html",
        items=items,
        named=named,
        applications=applications,
        forms=forms,
        elsewhere=DECIDED_ELSEWHERE,
        kind=kind,
        chosen=status,
        problem=found.problem,
    )


# --- collections ----------------------------------------------------------------------------


@router.get("/collections", response_class=HTMLResponse)
async def collection_list(page: Page, bucket: str = "") -> HTMLResponse:
    queue = await page.api.get("/v1/collections/work-queue", limit=50)
    cases = await page.api.get("/v1/collection-cases", status="open", bucket=bucket, limit=100)
    work, open_cases = items_of(queue), items_of(cases)
    named = await loans_named(
        page.api, [w["case"]["loan_id"] for w in work] + [c["loan_id"] for c in open_cases]
    )
    return page.page(
        "collections.html",
        work=work,
        work_total=queue.body.get("total", len(work)) if queue.ok else 0,
        cases=open_cases,
        named=named,
        problem=cases.problem,
        bucket=bucket,
    )


@router.get("/collections/{case_id}", response_class=HTMLResponse)
async def collection_case(page: Page, case_id: uuid.UUID) -> HTMLResponse:
    found = await page.api.get(f"/v1/collection-cases/{case_id}")
    if not found.ok:
        return page.refused(found)
    case = found.body
    named = await loans_named(page.api, [case["loan_id"]])
    today = await business_day(case["region_code"])
    forms = shown(("collection_action", "promise"), str(case_id), today)
    return page.page("collection_case.html", case=case, named=named, forms=forms)


# --- write-offs and exemption cases --------------------------------------------------------


async def _loans_records(page: Signed, path: str, status: str, template: str) -> HTMLResponse:
    """A list of records about loans (write-offs, exemption cases) by status, each named by
    its loan's contract number and borrower."""
    found = await page.api.get(path, status=status)
    items = items_of(found)
    named = await loans_named(page.api, (i["loan_id"] for i in items))
    return page.page(template, items=items, named=named, chosen=status, problem=found.problem)


@router.get("/write-offs", response_class=HTMLResponse)
async def write_offs(page: Page, status: str = "") -> HTMLResponse:
    return await _loans_records(page, "/v1/write-offs", status, "write_offs.html")


@router.get("/exemptions", response_class=HTMLResponse)
async def exemptions(page: Page, status: str = "") -> HTMLResponse:
    return await _loans_records(page, "/v1/exemption-cases", status, "exemptions.html")


EXEMPTION_STEPS = {
    "opened": ("exemption_review",),
    "evidence_reviewed": ("exemption_decision",),
    "decided": ("exemption_appeal",),
    "appealed": ("exemption_final",),
}


@router.get("/exemptions/{case_id}", response_class=HTMLResponse)
async def exemption_case(page: Page, case_id: uuid.UUID) -> HTMLResponse:
    found = await page.api.get(f"/v1/exemption-cases/{case_id}")
    if not found.ok:
        return page.refused(found)
    case = found.body
    named = await loans_named(page.api, [case["loan_id"]])
    steps = EXEMPTION_STEPS.get(case["status"], ())
    forms = {
        name: Shown(ACTIONS[name].form, f"/console/do/{name}/{case_id}", id=name) for name in steps
    }
    return page.page("exemption_case.html", case=case, named=named, forms=forms)


# --- jobs and the audit trail -------------------------------------------------------------


@router.get("/jobs", response_class=HTMLResponse)
async def jobs(page: Page) -> HTMLResponse:
    """导入与导出任务: the person's jobs, their progress, and their row errors to download."""
    found = await page.api.get("/v1/jobs", limit=50)
    return page.page("jobs.html", items=items_of(found), problem=found.problem)


@router.get("/loans/{loan_id}/audit", response_class=HTMLResponse)
async def loan_audit(page: Page, loan_id: uuid.UUID) -> HTMLResponse:
    """审计轨迹: every recorded change to the loan, who made it, when, and from what to what."""
    named = await loans_named(page.api, [str(loan_id)])
    found = await page.api.get("/v1/audit-events", entity_type="loan", entity_id=loan_id, limit=200)
    return page.page(
        "audit.html",
        loan_id=str(loan_id),
        named=named,
        events=items_of(found),
        problem=found.problem,
    )


@router.get("/messages", response_class=HTMLResponse)
async def message_list(
    page: Page, region: str = "", kind: str = "", everything: str = "", cursor: str = ""
) -> HTMLResponse:
    """短信: the texts to borrowers within the person's regions, newest first; by default only
    those that did not or will not reach the phone (opted out, no phone, failed, undelivered):
    the households the loan officer must tell another way."""
    params: dict[str, Any] = {"limit": 50}
    if region.isdigit():
        params["region"] = region
    if kind:
        params["kind"] = kind
    if not everything:
        params["unreached"] = "true"
    if cursor:
        params["cursor"] = cursor
    found = await page.api.get("/v1/messages", **params)
    if not found.ok and found.status != 422:
        return page.refused(found)
    return page.page(
        "messages.html",
        texts=items_of(found),
        next_cursor=found.body.get("next_cursor") if found.ok else None,
        region=region,
        kind=kind,
        everything=bool(everything),
        problem="" if found.ok else found.problem,
    )
