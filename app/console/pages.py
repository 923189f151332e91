"""What every console page shares: the person signed in and the API as them, the write guard
(same origin), redirects, the county's business day for a form's default."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from app.console.actions import ACTIONS
from app.console.api import Answer, Api
from app.console.auth import (
    SignInNeededError,
    User,
    same_origin,
    user_of,
)
from app.core import clock, zh_input
from app.core.db import get_sessionmaker
from app.core.identity import region_name
from app.domain.labels import (
    AUDIT_ACTIONS_ZH,
    AUDIT_FIELDS_ZH,
    RATING_REASONS_ZH,
    ZH,
    labelled,
)

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.globals.update(
    label=labelled,
    labels=ZH,
    reason_label=lambda code: RATING_REASONS_ZH.get(code, code),
    county=lambda code: region_name(code) or "",
    role_names=ZH["Role"],
)
templates.env.filters["percent"] = zh_input.rate_text
templates.env.filters["money"] = zh_input.money_text


def _total(items: Any, attribute: str) -> str:
    """A column's sum, to the fen (the API's amounts are decimal strings)."""
    return zh_input.money_text(sum((Decimal(str(i[attribute] or 0)) for i in items), Decimal(0)))


templates.env.filters["total"] = _total


_STATUS_ENUMS = ("LoanStatus", "ApplicationStatus", "DisbursementStatus", "DecisionStatus")


def _value(key: str, value: Any) -> str:
    """A recorded value as the page shows it: a status or class by its label, yes or no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    enums = {"risk_class": ("RiskClass",), "lending_status": ("LendingStatus",)}
    for enum in enums.get(key, _STATUS_ENUMS if key == "status" else ()):
        if str(value) in ZH[enum]:
            return ZH[enum][str(value)]
    return str(value)


def _changes(values: Any) -> str:
    """An audit event's before or after, field by field, in Chinese where the field is known
    (an unknown one keeps its code, as recorded)."""
    if not isinstance(values, dict):
        return "" if values is None else str(values)
    return "；".join(f"{AUDIT_FIELDS_ZH.get(k, k)}：{_value(k, v)}" for k, v in values.items())


templates.env.globals.update(
    action_title=lambda name: ACTIONS[name].title,
    action_label=lambda code: AUDIT_ACTIONS_ZH.get(code, code),
    changes=_changes,
)


class Signed:
    """The person signed in and the API as them."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user: User = user_of(request)
        self.api = Api(request, self.user.token)

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            self.request,
            name,
            {"user": self.user, "key": str(uuid.uuid4()), **context},
            status_code=status,
        )

    def refused(self, answer: Answer) -> HTMLResponse:
        status = answer.status if answer.status in (403, 404) else 200
        return self.page("refused.html", status=status, answer=answer)


Page = Annotated[Signed, Depends(Signed)]


def _write_guard(request: Request) -> None:
    if not same_origin(request):
        raise SignInNeededError


Write = Depends(_write_guard)


def to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def business_day(region_code: str) -> str:
    """A county's business date (app/core/clock.py), a form's default day: read in a short
    session of its own, never the wall clock."""

    def read() -> str:
        with get_sessionmaker()() as db:
            return clock.today(db, region_code or None).isoformat()

    return await run_in_threadpool(read)


async def loans_named(api: Api, ids: Iterable[str | None]) -> dict[str, Any]:
    """The loans a page names, by id, in one call: each shown by its contract number and its
    borrower's name, never by a fragment of its id."""
    wanted = sorted({i for i in ids if i})[:200]
    if not wanted:
        return {}
    found = await api.get("/v1/loans", id=wanted, limit=200)
    return {loan["id"]: loan for loan in items_of(found)}


async def applications_named(api: Api, ids: Iterable[str | None]) -> dict[str, Any]:
    """The applications a page names, by id, in one call (their applicants' names)."""
    wanted = sorted({i for i in ids if i})[:200]
    if not wanted:
        return {}
    found = await api.get("/v1/applications", id=wanted, limit=200)
    return {a["id"]: a for a in items_of(found)}


def items_of(answer: Answer) -> list[Any]:
    """A list's items, or none where the person's role may not read it."""
    if not answer.ok or not isinstance(answer.body, dict):
        return []
    return list(answer.body.get("items", []))
