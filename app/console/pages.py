"""What every console page shares: the person signed in and the API as them, the write guard
(same origin), redirects, the county's business day for a form's default."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from app.console.api import Answer, Api
from app.console.auth import (
    SignInNeededError,
    User,
    same_origin,
    user_of,
)
from app.core import clock
from app.core.db import get_sessionmaker
from app.core.identity import region_name
from app.domain.labels import RATING_REASONS_ZH, ZH, labelled

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.globals.update(
    label=labelled,
    labels=ZH,
    reason_label=lambda code: RATING_REASONS_ZH.get(code, code),
    county=lambda code: region_name(code) or "",
    role_names=ZH["Role"],
)
templates.env.filters["percent"] = lambda v: "—" if v in (None, "") else f"{float(v):.2%}"


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
            return clock.today(db, region_code).isoformat()

    return await run_in_threadpool(read)


def items_of(answer: Answer) -> list[Any]:
    """A list's items, or none where the person's role may not read it."""
    if not answer.ok or not isinstance(answer.body, dict):
        return []
    return list(answer.body.get("items", []))
