"""RFC 9457 problem details: the one shape of every error Bangfu returns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.context import request_id_var
from app.core.i18n import Said, negotiate, noun, said_of, status_title
from app.domain.labels import labelled
from app.domain.rules import RuleResult

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


@dataclass(frozen=True, slots=True)
class Where:
    """A field or row a problem points at, with what is wrong there in both languages."""

    loc: tuple[str | int, ...]
    msg: Said
    type: str


class Problem(Exception):
    """Raise anywhere below a handler to answer with problem details. `detail` is said in both
    languages; the response speaks the one the client asked for (Chinese by default)."""

    def __init__(
        self,
        status: int,
        detail: Said,
        *,
        slug: str | None = None,
        rules: list[RuleResult] | None = None,
        headers: dict[str, str] | None = None,
        errors: list[Where] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or HTTPStatus(status).phrase.lower().replace(" ", "-")
        self.rules = rules
        self.headers = headers
        self.errors = errors


def not_found(what: str) -> Problem:
    name = noun(what)
    return Problem(404, Said(f"未找到该{name.zh}", f"{what} not found"), slug="not-found")


def outside_regions(
    what: Said, places: Sequence[tuple[str | int, ...]], count: int | None = None
) -> Problem:
    """Rows of an import, or prefixes of a request, outside the caller's regions: refused as a
    whole (nothing is written), naming each place (the first thousand of `count`)."""
    count = len(places) if count is None else count
    return Problem(
        403,
        Said(
            f"有 {count} 条{what.zh}不在您的管辖地区内，未写入任何数据",
            f"{count} {what.en} outside your regions; nothing was written",
        ),
        slug="outside-your-regions",
        errors=[
            Where(tuple(loc), Said("不在您的管辖地区内", "outside your regions"), "region_scope")
            for loc in places[:1000]
        ],
    )


def rows_in_error(count: int, rows: Sequence[dict[str, Any]]) -> Problem:
    """A file with rows in error, refused whole: each row's number and reason (already in the
    caller's language), for the caller to fix and send again, or to send with
    `on_errors=import_valid`."""
    return Problem(
        422,
        Said(
            f"文件中有 {count} 行有错误，未写入任何数据；请改正后重新提交，"
            "或以 on_errors=import_valid 只导入正确的行",
            f"{count} rows of the file have errors; nothing was written. Correct them and send"
            " the file again, or send it with on_errors=import_valid to import the valid rows",
        ),
        slug="rows-in-error",
        errors=[
            Where((f"line {r['line']}",), Said(str(r["reason"]), str(r["reason"])), "row")
            for r in rows[:1000]
        ],
    )


def conflict(
    detail: Said, rules: list[RuleResult] | None = None, slug: str = "conflict"
) -> Problem:
    return Problem(409, detail, slug=slug, rules=rules)


def refuse_unless_passed(result: RuleResult, *, slug: str = "policy-refusal") -> None:
    """A single rule that failed is a 409 naming it, its clause and its message."""
    if not result.passed:
        raise Problem(409, result.message, slug=slug, rules=[result])


def loan_is(status: str, needed: Said) -> Problem:
    """A loan in the wrong state for the change asked: what it is, and what the change needs."""
    return conflict(
        Said(
            f"贷款当前为{labelled('LoanStatus', status)}，{needed.zh}",
            f"The loan is {status}; {needed.en}",
        ),
        slug="invalid-transition",
    )


_DECIDED_ZH = {"approved": "已批准", "declined": "已拒绝", "rejected": "已驳回"}


def already_decided(status: str) -> Said:
    """A second decision on a request someone has decided (maker-checker requests)."""
    return Said(
        f"该请求已处理（{_DECIDED_ZH.get(status, status)}）", f"The request was already {status}"
    )


def language_of(request: Request | None) -> str:
    return negotiate(request.headers.get("accept-language") if request is not None else None)


def problem_response(
    request: Request | None,
    status: int,
    detail: Said,
    *,
    slug: str | None = None,
    errors: list[Where] | None = None,
    rules: list[RuleResult] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    language = language_of(request)
    title = status_title(status)
    body = ProblemDetails(
        type=PROBLEM_BASE + (slug or title.en.lower().replace(" ", "-")),
        title=title.in_(language),
        status=status,
        detail=detail.in_(language),
        instance=request.url.path if request is not None else None,
        request_id=request_id_var.get(),
        errors=[FieldProblem(loc=list(e.loc), msg=e.msg.in_(language), type=e.type) for e in errors]
        if errors
        else None,
        rules=[
            RuleFailure(code=r.code, clause=r.clause or None, message=r.message.in_(language))
            for r in rules
        ]
        if rules
        else None,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**(headers or {}), "Content-Language": "zh-CN" if language == "zh" else "en"},
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


# Pydantic's error types in Chinese ({placeholders} from the error's ctx); a type not listed
# keeps pydantic's English words.
_VALIDATION_ZH = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "长度至少为 {min_length}",
    "string_too_long": "长度至多为 {max_length}",
    "string_pattern_mismatch": "格式不符合要求",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "小数位数至多为 {decimal_places}",
    "decimal_max_digits": "数字位数至多为 {max_digits}",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_type": "应为日期时间（ISO 8601）",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效：{error}",
    "amount_format": "应为金额（元），最多两位小数，如 {example}",
    "positive_amount_format": "应为大于零的金额（元），最多两位小数，如 {example}",
    "rate_format": "应为小数形式的年利率，如 {example}（即 4.35%）",
    "assertion_error": "取值无效",
    "union_tag_invalid": "类型标记无效",
}


def _in_chinese(err: dict[str, Any]) -> str:
    template = _VALIDATION_ZH.get(err["type"])
    if template is None:
        return str(err["msg"])
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：: ") or str(err["msg"])


def field_message(err: dict[str, Any]) -> Said:
    """A pydantic error's words in both languages (never the rejected input: it may be an ID
    number or a phone number)."""
    return Said(_in_chinese(err), str(err["msg"]))


def _field_problems(exc: RequestValidationError) -> list[Where]:
    return [
        Where(tuple(str(p) for p in err.get("loc", ())), field_message(err), err["type"])
        for err in exc.errors()
    ]


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API document declares on this path (a path may span routers)."""
    paths = request.app.openapi().get("paths", {})
    path = request.url.path
    # a literal path (/v1/applications/trials) is its own resource, not an id's
    matching = (
        [path]
        if path in paths
        else [t for t in paths if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", t), path)]
    )
    methods = {m.upper() for template in matching for m in paths[template]}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _nothing_at(request: Request) -> Said:
    path = request.url.path
    return Said(f"{path} 处没有资源", f"No resource at {path}")


def _method_not_allowed(request: Request, headers: dict[str, str] | None = None) -> JSONResponse:
    return problem_response(
        request,
        405,
        Said(
            f"{request.url.path} 不支持 {request.method} 方法",
            f"{request.method} is not allowed on {request.url.path}",
        ),
        headers={**(headers or {}), "Allow": ", ".join(_allowed_methods(request))},
    )


def install_problem_handlers(app: FastAPI) -> None:
    from app.domain.loan_status import InvalidTransitionError, LifecycleError

    @app.exception_handler(InvalidTransitionError)
    async def _transition(request: Request, exc: InvalidTransitionError) -> JSONResponse:
        return problem_response(request, 409, said_of(exc), slug="invalid-transition")

    @app.exception_handler(LifecycleError)
    async def _lifecycle(request: Request, exc: LifecycleError) -> JSONResponse:
        return problem_response(request, 409, said_of(exc), slug=exc.slug)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            rules=exc.rules,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if all(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            if request.url.path in request.app.openapi().get("paths", {}):
                # GET /v1/applications/trials reached /{application_id}: the literal path is
                # a resource of its own, which does not take this method
                return _method_not_allowed(request)
            # /v1/loans/None: an id that cannot exist names no resource.
            return problem_response(request, 404, _nothing_at(request), slug="not-found")
        return problem_response(
            request,
            422,
            Said("请求内容有误，详见 errors。", "The request is malformed; see errors."),
            slug="validation-error",
            errors=_field_problems(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        given = exc.detail if isinstance(exc.detail, str) else phrase
        detail = status_title(exc.status_code) if given == phrase else Said(given, given)
        if exc.status_code == 404:
            detail = _nothing_at(request)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 400:  # an unparseable body: the request itself is malformed
            return problem_response(
                request,
                422,
                Said("请求体不是有效的 JSON。", "The body could not be parsed as JSON."),
                slug="validation-error",
            )
        if exc.status_code == 405:
            return _method_not_allowed(request, headers)
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__, path=request.url.path)
        return problem_response(
            request,
            500,
            Said(
                "服务内部出错，请将 request_id 告知技术支持。",
                "An internal error occurred; quote the request id to support.",
            ),
            slug="internal-error",
        )
