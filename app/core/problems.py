"""RFC 9457 problem details: the one shape of every error Bangfu returns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.context import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:bangfu:problem:"

log = structlog.get_logger("bangfu.errors")


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is: body, query, path, header")
    msg: str
    type: str


class RuleFailure(BaseModel):
    code: str
    clause: str | None = Field(default=None, description="Policy clause, e.g. '1.9'")
    message: str


class ProblemDetails(BaseModel):
    type: str = Field(examples=["urn:bangfu:problem:validation-error"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
    rules: list[RuleFailure] | None = None


class Problem(Exception):
    """Raise anywhere below a handler to answer with problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        rules: list[RuleFailure] | None = None,
        headers: dict[str, str] | None = None,
        errors: list[FieldProblem] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.slug = slug or self.title.lower().replace(" ", "-")
        self.rules = rules
        self.headers = headers
        self.errors = errors


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found", slug="not-found")


def outside_regions(what: str, places: Sequence[tuple[str | int, ...]]) -> Problem:
    """Rows of an import, or prefixes of a request, outside the caller's regions: refused as a
    whole (nothing is written), naming each place."""
    return Problem(
        403,
        f"{len(places)} {what} outside your regions; nothing was written",
        slug="outside-your-regions",
        errors=[
            FieldProblem(loc=list(loc), msg="outside your regions", type="region_scope")
            for loc in places[:1000]
        ],
    )


def conflict(
    detail: str, rules: list[RuleFailure] | None = None, slug: str = "conflict"
) -> Problem:
    return Problem(409, detail, slug=slug, rules=rules)


def problem_response(
    request: Request | None,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldProblem] | None = None,
    rules: list[RuleFailure] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    title = title or HTTPStatus(status).phrase
    body = ProblemDetails(
        type=PROBLEM_BASE + (slug or title.lower().replace(" ", "-")),
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        request_id=request_id_var.get(),
        errors=errors,
        rules=rules,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem-details answers for these statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
        for status in statuses
    }


def _field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    # Never echo the rejected input: it may be an ID number or a phone number.
    return [
        FieldProblem(loc=[str(p) for p in err.get("loc", ())], msg=err["msg"], type=err["type"])
        for err in exc.errors()
    ]


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API document declares on this path (a path may span routers)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    from app.domain.loan_status import InvalidTransitionError, LifecycleError

    @app.exception_handler(InvalidTransitionError)
    async def _transition(request: Request, exc: InvalidTransitionError) -> JSONResponse:
        return problem_response(request, 409, str(exc), slug="invalid-transition")

    @app.exception_handler(LifecycleError)
    async def _lifecycle(request: Request, exc: LifecycleError) -> JSONResponse:
        return problem_response(request, 409, str(exc), slug=exc.slug)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            title=exc.title,
            rules=exc.rules,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if all(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            # /v1/loans/None: an id that cannot exist names no resource.
            return problem_response(
                request, 404, f"No resource at {request.url.path}", slug="not-found"
            )
        return problem_response(
            request,
            422,
            "The request is malformed; see errors.",
            slug="validation-error",
            errors=_field_problems(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 400:  # an unparseable body: the request itself is malformed
            return problem_response(
                request, 422, "The body could not be parsed as JSON.", slug="validation-error"
            )
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__, path=request.url.path)
        return problem_response(
            request,
            500,
            "An internal error occurred; quote the request id to support.",
            slug="internal-error",
        )
