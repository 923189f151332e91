"""/console pages of a loan (its schedule, visits, renewal and extension) and of a county."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from app.console import forms
from app.console.actions import ACTIONS, shown
from app.console.forms import Shown
from app.console.pages import Page, Signed, Write, business_day, items_of, to

router = APIRouter(prefix="/console", include_in_schema=False)


# --- a loan --------------------------------------------------------------------------------


@router.get("/loans/{loan_id}", response_class=HTMLResponse)
async def loan_page(page: Page, loan_id: uuid.UUID) -> HTMLResponse:
    return await loan(page, loan_id)


# What may be done to a loan from its page, by whom it may be seen (the API still decides).
LOAN_ACTIONS = {
    "disburse": ("loan_officer",),
    "risk_class": ("risk_manager",),
    "propose_write_off": ("loan_officer", "risk_manager"),
    "open_exemption": ("loan_officer", "credit_reviewer", "risk_manager"),
}


def _loan_forms(page: Signed, loan: dict[str, Any], today: str) -> dict[str, Shown]:
    status = loan["status"]
    forms = shown(
        tuple(name for name, roles in LOAN_ACTIONS.items() if page.user.has(*roles)),
        loan["id"],
        today,
    )
    if status != "contracted":
        forms.pop("disburse", None)
    if status not in ("active", "overdue"):
        for name in ("risk_class", "propose_write_off"):
            forms.pop(name, None)
    return forms


async def loan(
    page: Signed, loan_id: uuid.UUID, problem: str = "", typed: dict[str, Any] | None = None
) -> HTMLResponse:
    """The page, with what the API refused of the last write and that form as it was typed
    (`typed`, keyed by the form: visit, renewal, extension, decision)."""
    found = await page.api.get(f"/v1/loans/{loan_id}")
    if not found.ok:
        return page.refused(found)
    disbursements = await page.api.get(f"/v1/loans/{loan_id}/disbursements")
    cases = await page.api.get("/v1/collection-cases", loan_id=loan_id, limit=5)
    schedule = await page.api.get(f"/v1/loans/{loan_id}/schedule")
    repayments = await page.api.get(f"/v1/loans/{loan_id}/repayments")
    visits = await page.api.get(f"/v1/loans/{loan_id}/monitoring-visits")
    requests = await page.api.get("/v1/chain-requests", loan_id=loan_id, status="any")
    today = found.body.get("business_date") or await business_day(found.body["region_code"])
    expected = None
    if schedule.ok and not schedule.body["instalments"]:
        # not disbursed yet: the schedule its terms give from today (the policy trial); the
        # loan's own is fixed from the disbursement's value date
        terms = found.body
        trial = await page.api.post(
            "/v1/policy/schedule",
            {
                "principal": terms["principal"],
                "annual_rate": terms["annual_rate"],
                "term_months": terms["term_months"],
                "method": terms["repayment_method"],
                "start_date": today,
                "local_subsidy_rate": terms["local_subsidy_rate"],
            },
        )
        expected = trial.body if trial.ok else None
    return page.page(
        "loan.html",
        forms=_loan_forms(page, found.body, today),
        disbursements=disbursements.body if disbursements.ok else [],
        cases=items_of(cases),
        loan=found.body,
        expected=expected,
        schedule=schedule.body if schedule.ok else [],
        repayments=repayments.body["items"] if repayments.ok else [],
        visits=visits.body if visits.ok else [],
        requests=items_of(requests),
        problem=problem,
        typed=typed or {},
        today=today,
    )


async def _sent(
    page: Signed, loan_id: uuid.UUID, what: str, body: dict[str, Any], key: str, typed: Any
) -> Response:
    """A loan page's form sent to `/v1/loans/{id}/{what}`: back to the loan, or the page again
    with the API's refusal and the form as it was typed."""
    answer = await page.api.post(f"/v1/loans/{loan_id}/{what}", body, key)
    if answer.ok:
        return to(f"/console/loans/{loan_id}")
    return await loan(page, loan_id, problem=answer.problem, typed=typed)


@router.post("/loans/{loan_id}/visits", dependencies=[Write])
async def record_visit(
    page: Page,
    loan_id: uuid.UUID,
    key: Annotated[str, Form()],
    visited_on: Annotated[str, Form()],
    finding: Annotated[str, Form()],
    notes: Annotated[str, Form()] = "",
) -> Response:
    typed = {"visit": {"visited_on": visited_on, "finding": finding, "notes": notes}}
    day, errors = forms.read({"visited_on": visited_on}, *forms.VISITED)
    if errors:
        return await loan(page, loan_id, problem="；".join(errors), typed=typed)
    body = {"visited_on": day["visited_on"], "finding": finding, "notes": notes or "贷后走访"}
    return await _sent(page, loan_id, "monitoring-visits", body, key, typed)


@router.post("/loans/{loan_id}/{kind}", dependencies=[Write])
async def ask_renewal_or_extension(
    page: Page,
    loan_id: uuid.UUID,
    kind: str,
    key: Annotated[str, Form()],
    months: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    repayment_method: Annotated[str, Form()] = "",
) -> Response:
    """An officer asks for a renewal (at maturity) or an extension (before it)."""
    if kind not in ("renewal", "extension"):
        return Response(status_code=404)
    typed = {kind: {"months": months, "reason": reason, "repayment_method": repayment_method}}
    read, errors = forms.read({"months": months}, *forms.MONTHS)
    if errors:
        return await loan(page, loan_id, problem="；".join(errors), typed=typed)
    count = read["months"]
    body: dict[str, Any] = (
        {"term_months": count, "repayment_method": repayment_method, "reason": reason}
        if kind == "renewal"
        else {"months": count, "reason": reason}
    )
    return await _sent(page, loan_id, kind, body, key, typed)


@router.post("/loans/{loan_id}/{kind}/decision", dependencies=[Write])
async def decide_renewal_or_extension(
    page: Page,
    loan_id: uuid.UUID,
    kind: str,
    key: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    annual_rate: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A reviewer decides the loan's waiting renewal or extension (not their own: the API
    refuses that, 4.1)."""
    if kind not in ("renewal", "extension"):
        return Response(status_code=404)
    typed = {"decision": {"outcome": outcome, "annual_rate": annual_rate, "note": note}}
    rate, errors = forms.read({"annual_rate": annual_rate}, *forms.RENEWAL_RATE)
    if errors:
        return await loan(page, loan_id, problem="；".join(errors), typed=typed)
    body: dict[str, Any] = {"outcome": outcome, "note": note or None, **rate}
    answer = await page.api.post(f"/v1/loans/{loan_id}/{kind}/decision", body, key)
    if not answer.ok:
        return await loan(page, loan_id, problem=answer.problem, typed=typed)
    new_loan = answer.body.get("new_loan_id")
    return to(f"/console/loans/{new_loan or loan_id}")


# --- a county ------------------------------------------------------------------------------


@router.get("/counties", response_class=HTMLResponse)
async def counties(page: Page, within: str = "") -> HTMLResponse:
    """县域概况 for a person whose region is wider than a county: the counties within it, from
    the portfolio-quality report where the person may read it, and a box for a county's code."""
    within = within if within.isdigit() and len(within) <= 12 else ""
    today = await business_day(within or "")
    quality = await page.api.get("/v1/reports/portfolio-quality", as_of=today, region=within)
    regions = quality.body.get("regions", []) if quality.ok else []
    return page.page("counties.html", within=within, regions=regions, as_of=today)


@router.get("/counties/{code}", response_class=HTMLResponse)
async def county_page(page: Page, code: str) -> HTMLResponse:
    region = await page.api.get(f"/v1/regions/{code}")
    if not region.ok:
        return page.refused(region)
    figures = region.body.get("figures") or {}
    as_of = figures.get("business_date")
    quality = (
        await page.api.get("/v1/reports/portfolio-quality", as_of=as_of, region=code)
        if as_of
        else None
    )
    collections = await page.api.get(f"/v1/collections/counties/{code}")
    texts = await page.api.get(f"/v1/regions/{code}/message-settings") if code.isdigit() else None
    return page.page(
        "county.html",
        reminder_days=texts.body["reminder_days"] if texts is not None and texts.ok else None,
        texts_form=Shown(
            ACTIONS["message_settings"].form, f"/console/do/message_settings/{code}", id="texts"
        )
        if page.user.has("risk_manager") and code.isdigit()
        else None,
        code=code,
        region=region.body,
        quality=quality.body if quality is not None and quality.ok else None,
        quality_forbidden=quality is not None and quality.status == 403,
        collections=collections.body if collections.ok else None,
        as_of=as_of,
        status_form=Shown(
            ACTIONS["lending_status"].form, f"/console/do/lending_status/{code}", id="status"
        )
        if page.user.has("risk_manager") and code.isdigit()
        else None,
    )


@router.get("/counties/{code}/chart.svg")
async def county_chart(page: Page, code: str, days: int = 90) -> Response:
    region = await page.api.get(f"/v1/regions/{code}")
    end = (region.body.get("figures") or {}).get("business_date") if region.ok else None
    if not end:
        return Response(status_code=404)
    start = (date.fromisoformat(end) - timedelta(days=max(1, min(days, 730)))).isoformat()
    chart = await page.api.get(
        "/v1/reports/portfolio-quality/chart.svg", regions=code, **{"from": start, "to": end}
    )
    if not chart.ok:
        return Response(status_code=chart.status)
    return Response(chart.body, media_type="image/svg+xml")
