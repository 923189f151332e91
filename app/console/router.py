"""/console: the pages. Each reads and writes through the API (app/console/api.py) as the person
signed in, and renders what it answered; a refusal is shown as the API said it, in Chinese."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.console import doing, files, forms, lists, loan_pages, sessions
from app.console.api import Answer
from app.console.auth import (
    COOKIE,
    SignInNeededError,
    minting_allowed,
    secure_cookies,
)
from app.console.pages import (
    Page,
    Signed,
    Write,
    business_day,
    items_of,
    loans_named,
    templates,
    to,
)
from app.core.auth import Role, issue_token
from app.core.middleware import session_of
from app.core.problems import Problem

router = APIRouter(prefix="/console", include_in_schema=False)

# --- signing in ---------------------------------------------------------------------------


# What the sign-in page may say, by code: a page shows only what the service wrote, never a
# caller's text (`?notice=` is looked up here, and an unknown code says nothing).
NOTICES = {
    "bad-token": ("alert", "令牌无效或已过期"),
    "signed-out": ("status", "您已退出登录"),
    "ended": ("status", "登录已结束（超时、令牌过期或被管理员注销），请重新登录"),
}


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, notice: str = "") -> HTMLResponse:
    role, text = NOTICES.get(notice, ("", ""))
    return templates.TemplateResponse(
        request,
        "sign_in.html",
        {
            "user": None,
            "notice": text,
            "notice_role": role,
            "minting": minting_allowed(),
            "roles": list(Role),
        },
    )


def _signed_in(token: str, request: Request) -> Response:
    """A session for the token, and its secret in the cookie (bad token: back to sign in)."""
    try:
        secret = sessions.open_session(session_of(request), token)
    except Problem:
        return to("/console/sign-in?notice=bad-token")
    answer = to("/console/")
    answer.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/console",
    )
    return answer


@router.post("/sign-in", dependencies=[Write])
def sign_in(request: Request, token: Annotated[str, Form(max_length=8000)]) -> Response:
    """The bank's token, as its identity provider issued it."""
    return _signed_in(token.strip(), request)


@router.post("/sign-in/development", dependencies=[Write])
def sign_in_development(
    request: Request,
    subject: Annotated[str, Form(min_length=1, max_length=100)],
    role: Annotated[list[Role], Form()],
    regions: Annotated[str, Form(pattern=r"^(\*|\d{2,12})(,(\*|\d{2,12}))*$")],
) -> Response:
    """Development only: mint a token for a name, roles and regions."""
    if not minting_allowed():
        return HTMLResponse("生产环境不能自行签发令牌", status_code=403)
    token = issue_token(subject.strip(), role, regions.split(","), ttl=timedelta(hours=8))
    return _signed_in(token, request)


@router.post("/sign-out", dependencies=[Write])
def sign_out(request: Request) -> Response:
    """The session ends here, whoever holds a copy of the cookie."""
    secret = request.cookies.get(COOKIE)
    if secret:
        sessions.sign_out(session_of(request), secret)
    answer = to("/console/sign-in?notice=signed-out")
    answer.delete_cookie(COOKIE, path="/console", secure=secure_cookies(request), httponly=True)
    return answer


# --- today's work -------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def today(page: Page) -> Response:
    api, user = page.api, page.user
    if user.principal.is_department:  # the departments read aggregates only (3.4)
        return to("/console/departments")
    me = user.principal.subject
    sections: dict[str, Any] = {}
    if user.has("loan_officer"):
        mine = await api.get("/v1/applications", status="submitted", officer=me, limit=50)
        sections["to_investigate"] = [a for a in items_of(mine) if not a["investigations"]]
        approved = await api.get("/v1/applications", status="approved", officer=me, limit=50)
        sections["to_sign"] = items_of(approved)
    if user.has("credit_reviewer"):
        waiting = await api.get("/v1/applications", status="submitted", limit=50)
        sections["to_decide"] = [
            a for a in items_of(waiting) if a["investigations"] and a["submitted_by"] != me
        ]
    chain = await api.get("/v1/chain-requests", limit=50)
    sections["chain_requests"] = items_of(chain)
    visits = await api.get("/v1/monitoring/due-visits", limit=50)
    sections["due_visits"] = items_of(visits)
    queue = await api.get("/v1/collections/work-queue", limit=20)
    sections["collections"] = items_of(queue)
    sections["collections_total"] = queue.body.get("total", 0) if queue.ok else 0
    unconfirmed = await api.get("/v1/loans", status="disbursing", limit=50)
    sections["unconfirmed"] = items_of(unconfirmed)
    named = await loans_named(
        api,
        [r["loan_id"] for r in sections["chain_requests"]]
        + [v["loan_id"] for v in sections["due_visits"]]
        + [w["case"]["loan_id"] for w in sections["collections"]],
    )
    decisions = await api.get("/v1/decisions", status="pending", limit=100)
    inbox = sum(1 for d in items_of(decisions) if d["may_decide"])
    return page.page("today.html", sections=sections, named=named, inbox=inbox)


# --- households ---------------------------------------------------------------------------


@router.get("/households", response_class=HTMLResponse)
async def find_household(page: Page, q: str = "") -> HTMLResponse:
    q = q.strip()
    found: Answer | None = None
    if q:
        if len(q) == 18 and q[:17].isdigit():
            found = await page.api.get("/v1/households", id_number=q)
        elif q.isdigit() and len(q) == 6:
            found = await page.api.get("/v1/households", region=q)
        elif q.isascii():
            found = await page.api.get("/v1/households", household_number=q)
        else:
            found = await page.api.get("/v1/households", name=q)
    items = found.body["items"] if found is not None and found.ok else []
    problem = found.problem if found is not None and not found.ok else ""
    return page.page("households.html", q=q, items=items, searched=bool(q), problem=problem)


@router.get("/households/{household_id}", response_class=HTMLResponse)
async def household_page(page: Page, household_id: uuid.UUID) -> HTMLResponse:
    return await household(page, household_id)


async def household(
    page: Signed, household_id: uuid.UUID, problem: str = "", typed: dict[str, Any] | None = None
) -> HTMLResponse:
    """The page, with what the API refused of the last write (`problem`, the API's words) and
    the rating form as it was typed."""
    found = await page.api.get(f"/v1/households/{household_id}")
    if not found.ok:
        return page.refused(found)
    ratings = await page.api.get(f"/v1/households/{household_id}/ratings")
    applications = await page.api.get("/v1/applications", household_id=household_id)
    loans = await page.api.get("/v1/loans", household_id=household_id)
    wish = await page.api.get(f"/v1/households/{household_id}/message-preference")
    texts = await page.api.get("/v1/messages", household_id=household_id, limit=10)
    return page.page(
        "household.html",
        wish=wish.body if wish.ok else None,
        texts=items_of(texts),
        problem=problem,
        typed=typed or {},
        household=found.body,
        ratings=ratings.body if ratings.ok else [],
        applications=items_of(applications),
        loans=items_of(loans),
    )


@router.post("/households/{household_id}/rating", dependencies=[Write])
async def rate(
    page: Page,
    household_id: uuid.UUID,
    key: Annotated[str, Form()],
    annual_household_income: Annotated[str, Form()],
    annual_production_income: Annotated[str, Form()],
    assets: Annotated[str, Form()],
    liabilities: Annotated[str, Form()],
    annual_existing_repayments: Annotated[str, Form()],
    production_experience_years: Annotated[str, Form()],
    bureau_worst_days_past_due_24m: Annotated[str, Form()],
    village_opinion: Annotated[str, Form()],
    bureau_current_overdue: Annotated[str, Form()] = "",
    bureau_major_bad_record: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A credit rating (2.2): the scorecard is the API's; the page sends what was found, its
    amounts as people write them (58,000, 5.8万)."""
    typed = {
        "annual_household_income": annual_household_income,
        "annual_production_income": annual_production_income,
        "assets": assets,
        "liabilities": liabilities,
        "annual_existing_repayments": annual_existing_repayments,
        "production_experience_years": production_experience_years,
        "bureau_worst_days_past_due_24m": bureau_worst_days_past_due_24m,
        "bureau_current_overdue": bureau_current_overdue,
        "bureau_major_bad_record": bureau_major_bad_record,
        "village_opinion": village_opinion,
        "note": note,
    }
    read, errors = forms.read(typed, *forms.RATING)
    if errors:
        return await household(page, household_id, problem="；".join(errors), typed=typed)
    body = {
        **read,
        "bureau_current_overdue": bool(bureau_current_overdue),
        "bureau_major_bad_record": bool(bureau_major_bad_record),
        "village_opinion": village_opinion,
        "note": note or None,
    }
    answer = await page.api.post(f"/v1/households/{household_id}/ratings", body, key)
    if answer.ok:
        return to(f"/console/households/{household_id}")
    return await household(page, household_id, problem=answer.problem, typed=typed)


# --- applying -----------------------------------------------------------------------------


@router.get("/households/{household_id}/apply", response_class=HTMLResponse)
async def apply_form(page: Page, household_id: uuid.UUID) -> HTMLResponse:
    found = await page.api.get(f"/v1/households/{household_id}")
    if not found.ok:
        return page.refused(found)
    return page.page("apply.html", household=found.body, form={}, problem="")


@router.post("/households/{household_id}/preview", response_class=HTMLResponse)
async def apply_preview(
    page: Page,
    household_id: uuid.UUID,
    applicant_member_id: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    term_months: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    large_production: Annotated[str, Form()] = "",
    annual_rate: Annotated[str, Form()] = "0.0345",
) -> HTMLResponse:
    """The trials as the officer types: every eligibility rule with its clause, from the facts
    a submission would read (the application trial), and the subsidy split (the policy
    trial). Nothing is stored."""
    read, errors = forms.read(
        {"amount": amount, "term_months": term_months, "annual_rate": annual_rate},
        *forms.APPLYING,
        *forms.TRIAL_RATE,
    )
    if not (amount and term_months and purpose):
        return page.page("_preview.html", eligibility=None, subsidy=None, problem="")
    if errors:
        return page.page("_preview.html", eligibility=None, subsidy=None, problem="；".join(errors))
    amount, annual_rate = read["amount"], read["annual_rate"]
    found = await page.api.get(f"/v1/households/{household_id}")
    if not found.ok:
        return page.page("_preview.html", eligibility=None, subsidy=None, problem=found.problem)
    eligibility = await page.api.post(
        "/v1/applications/trials",
        {
            "household_id": str(household_id),
            "applicant_member_id": applicant_member_id,
            "amount": amount,
            "term_months": read["term_months"],
            "purpose": purpose,
            "large_production": bool(large_production),
        },
    )
    subsidy = await page.api.post(
        "/v1/policy/subsidy",
        {
            "annual_rate": annual_rate,
            "amount": amount,
            "large_production": bool(large_production),
            "contract_date": await business_day(found.body["region_code"]),
            "region_code": found.body["region_code"],
        },
    )
    return page.page(
        "_preview.html",
        eligibility=eligibility.body if eligibility.ok else None,
        subsidy=subsidy.body if subsidy.ok else None,
        problem=eligibility.problem or subsidy.problem,
    )


@router.post("/households/{household_id}/apply", response_class=HTMLResponse, dependencies=[Write])
async def apply(
    page: Page,
    household_id: uuid.UUID,
    key: Annotated[str, Form()],
    applicant_member_id: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    term_months: Annotated[str, Form()],
    purpose: Annotated[str, Form()],
    purpose_detail: Annotated[str, Form()],
    repayment_method: Annotated[str, Form()],
    large_production: Annotated[str, Form()] = "",
    large_production_reason: Annotated[str, Form()] = "",
    large_production_category: Annotated[str, Form()] = "",
) -> Response:
    read, errors = forms.read({"amount": amount, "term_months": term_months}, *forms.APPLYING)
    body: dict[str, Any] = {
        "household_id": str(household_id),
        "applicant_member_id": applicant_member_id,
        "amount": read.get("amount", amount),
        "term_months": read.get("term_months", term_months),
        "purpose": purpose,
        "purpose_detail": purpose_detail,
        "repayment_method": repayment_method,
        "large_production": bool(large_production),
    }
    if large_production:
        body["large_production_reason"] = large_production_reason
        body["large_production_category"] = large_production_category
    problem = "；".join(errors)
    if not errors:
        answer = await page.api.post("/v1/applications", body, key)
        if answer.ok:
            return to(f"/console/applications/{answer.body['id']}")
        problem = answer.problem
    found = await page.api.get(f"/v1/households/{household_id}")
    return page.page(
        "apply.html",
        status=200,
        household=found.body if found.ok else None,
        form={**body, "amount": amount, "term_months": term_months},
        problem=problem,
    )


# --- an application -----------------------------------------------------------------------


@router.get("/applications/{application_id}", response_class=HTMLResponse)
async def application_page(page: Page, application_id: uuid.UUID) -> HTMLResponse:
    return await application(page, application_id)


async def application(
    page: Signed, application_id: uuid.UUID, problem: str = "", typed: dict[str, Any] | None = None
) -> HTMLResponse:
    found = await page.api.get(f"/v1/applications/{application_id}")
    if not found.ok:
        return page.refused(found)
    household = await page.api.get(f"/v1/households/{found.body['household_id']}")
    guidance = await page.api.get(f"/v1/applications/{application_id}/rate-guidance")
    return page.page(
        "application.html",
        typed=typed or {},
        application=found.body,
        household=household.body if household.ok else None,
        guidance=guidance.body if guidance.ok else None,
        problem=problem,
        today=await business_day(found.body["region_code"]),
    )


async def _after(
    page: Signed, application_id: uuid.UUID, answer: Answer, typed: dict[str, Any] | None = None
) -> Response:
    if answer.ok:
        return to(f"/console/applications/{application_id}")
    return await application(page, application_id, problem=answer.problem, typed=typed)


@router.post("/applications/{application_id}/investigation", dependencies=[Write])
async def investigate(
    page: Page,
    application_id: uuid.UUID,
    key: Annotated[str, Form()],
    visited_on: Annotated[str, Form()],
    investigators: Annotated[str, Form()],
    project_findings: Annotated[str, Form()],
    need_is_genuine: Annotated[str, Form()] = "",
    project_is_lawful: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    typed = {
        "visited_on": visited_on,
        "investigators": investigators,
        "project_findings": project_findings,
    }
    day, errors = forms.read({"visited_on": visited_on}, *forms.VISITED)
    if errors:
        return await application(
            page, application_id, problem="；".join(errors), typed={"investigation": typed}
        )
    body = {
        "visited_on": day["visited_on"],
        "investigators": [
            i.strip() for i in investigators.replace("，", ",").replace("、", ",").split(",") if i
        ],
        "project_findings": project_findings,
        "need_is_genuine": bool(need_is_genuine),
        "project_is_lawful": bool(project_is_lawful),
        "notes": notes or None,
    }
    answer = await page.api.post(f"/v1/applications/{application_id}/investigations", body, key)
    return await _after(page, application_id, answer, {"investigation": typed})


@router.post("/applications/{application_id}/decision", dependencies=[Write])
async def decide(
    page: Page,
    application_id: uuid.UUID,
    key: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    amount: Annotated[str, Form()] = "",
    term_months: Annotated[str, Form()] = "",
    annual_rate: Annotated[str, Form()] = "",
    repayment_method: Annotated[str, Form()] = "",
    rate_reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    typed = {
        "outcome": outcome,
        "amount": amount,
        "term_months": term_months,
        "annual_rate": annual_rate,
        "repayment_method": repayment_method,
        "rate_reason": rate_reason,
        "note": note,
    }
    decision: dict[str, Any] = {"outcome": outcome}
    if outcome == "approve":
        terms, errors = forms.read(typed, *forms.DECIDING)
        if errors:
            return await application(page, application_id, problem="；".join(errors), typed=typed)
        decision |= {**terms, "repayment_method": repayment_method}
        if rate_reason:
            decision["rate_reason"] = rate_reason
    else:
        decision |= {"reason_codes": ["other"], "note": note or "审批未通过"}
    answer = await page.api.post(
        f"/v1/applications/{application_id}/decision", {"decision": decision}, key
    )
    return await _after(page, application_id, answer, typed)


@router.post("/applications/{application_id}/contract", dependencies=[Write])
async def sign_contract(
    page: Page, application_id: uuid.UUID, key: Annotated[str, Form()]
) -> Response:
    answer = await page.api.post(f"/v1/applications/{application_id}/contract", {}, key)
    if answer.ok:
        return to(f"/console/loans/{answer.body['loan']['id']}")
    return await application(page, application_id, problem=answer.problem)


def install(app: FastAPI) -> None:
    """The console's pages, and the way to sign-in when a page finds nobody signed in."""
    app.include_router(router)
    app.include_router(lists.router)  # /console/loans before /console/loans/{id}
    app.include_router(files.router)
    app.include_router(doing.router)
    app.include_router(loan_pages.router)

    @app.exception_handler(SignInNeededError)
    async def _sign_in_first(request: Request, exc: SignInNeededError) -> Response:
        ended = request.cookies.get(COOKIE)
        answer = to("/console/sign-in?notice=ended" if ended else "/console/sign-in")
        if ended:
            answer.delete_cookie(COOKIE, path="/console", secure=secure_cookies(request))
        return answer
