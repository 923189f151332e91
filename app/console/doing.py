"""/console/do/{action}/{subject}: every action of app/console/actions.py, by one route. GET
shows the form on a page of its own; POST reads it (app/console/forms.py), calls the API as the
person signed in, and goes where the action says, or shows the form again with what was typed
and what went wrong (a field that cannot be read, or the API's refusal in its own words)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.console.actions import ACTIONS, Action
from app.console.forms import Shown
from app.console.pages import Page, Signed, Write, business_day, to

router = APIRouter(prefix="/console/do", include_in_schema=False)

# a loan, case or decision id, a region code, two ids joined by `~`, or `-` for none
_SUBJECT = re.compile(r"^([0-9a-f-]{36}(~[0-9a-f-]{36})?|\d{2,12}|-)$")


def _found(action: str, subject: str) -> Action | None:
    return ACTIONS.get(action) if _SUBJECT.fullmatch(subject) else None


async def _today(page: Signed, subject: str) -> str:
    """A date field's default: the business date of the county the action is about (a region
    subject), else of the person's first region."""
    region = subject if subject.isdigit() else page.user.principal.regions[0]
    return await business_day(region if region != "*" else "")


def _shown(action: Action, name: str, subject: str, today: str, **more: Any) -> dict[str, Any]:
    return {
        "title": action.title,
        "subject": subject,
        "shown": Shown(action.form, f"/console/do/{name}/{subject}", today=today, **more),
    }


@router.get("/{name}/{subject}", response_class=HTMLResponse)
async def action_form(page: Page, name: str, subject: str) -> Response:
    action = _found(name, subject)
    if action is None:
        return Response(status_code=404)
    today = await _today(page, subject)
    return page.page("action.html", **_shown(action, name, subject, today))


@router.post("/{name}/{subject}", response_class=HTMLResponse, dependencies=[Write])
async def act(page: Page, request: Request, name: str, subject: str) -> Response:
    action = _found(name, subject)
    if action is None:
        return Response(status_code=404)
    form = await request.form()
    typed: dict[str, str | list[str]] = {}
    for field in form:  # a box ticked more than once is a list; files are not taken here
        values = [v for v in form.getlist(field) if isinstance(v, str)]
        if values:
            typed[field] = values if len(values) > 1 else values[0]
    body, errors = action.form.read(typed)
    today = await _today(page, subject)
    if errors:
        context = _shown(action, name, subject, today, typed=typed, errors=errors)
        return page.page("action.html", status=422, **context)
    if action.shape is not None:
        body = action.shape(body)
    path = action.path.format(*subject.split("~"))
    answer = await page.api.write(
        action.method, path, body if action.send_body else None, str(typed.get("key", ""))
    )
    if answer.ok:
        made = answer.body.get("id", "") if isinstance(answer.body, dict) else ""
        return to(action.back.format(subject.split("~")[0], id=made))
    problem = answer.problem_naming(action.labels())
    context = _shown(action, name, subject, today, typed=typed, problem=problem)
    return page.page("action.html", status=answer.status if answer.status < 500 else 502, **context)
