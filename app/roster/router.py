"""POST /v1/roster/imports: the agriculture departments' roster, as CSV, JSON lines or Excel."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.core import sheets, tables
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said, said_of
from app.core.problems import Problem, problem_responses
from app.core.uploads import upload_of
from app.jobs import service as jobs
from app.jobs.models import JobKind
from app.jobs.router import ACCEPTED, PREFER_HELP, accepted, wants_async
from app.roster import service
from app.roster.schemas import RosterImportOut

router = APIRouter(prefix="/v1/roster", tags=["roster"])

_FORMATS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    sheets.XLSX_MEDIA_TYPE: "xlsx",
}
_EXAMPLE_CSV = (
    "id_number,name,household_number,region_code,category,listed_date,removed_date\n"
    "52010219900101123X,张三,5201020001,520102,monitoring_target,2025-03-01,\n"
)


@router.post(
    "/imports",
    response_model=RosterImportOut,
    status_code=201,
    responses={**ACCEPTED, **problem_responses(403, 413, 415, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE_CSV},
                "application/x-ndjson": {"schema": {"type": "string"}},
                sheets.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                # what generated clients send a file as: its format in `format`
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_roster(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))],
    prefer: Annotated[str | None, Header(description=PREFER_HELP)] = None,
    format: Annotated[
        Literal["csv", "jsonl", "xlsx"],
        Query(description="with `application/octet-stream`: the file's format"),
    ] = "csv",
    on_errors: Annotated[
        Literal["refuse", "import_valid"], Query(description=sheets.ON_ERRORS_HELP)
    ] = "refuse",
) -> RosterImportOut | JSONResponse:
    """导入帮扶人口名单。One row per person: id_number (身份证号), name (姓名), household_number
    (户编号), region_code (行政区划代码), category (人员类别: `monitoring_target` 防止返贫监测对象 /
    `continued_support` 脱贫人口), listed_date (纳入日期), removed_date (退出日期, for removals).
    Chinese or English column headers; CSV in UTF-8 or GB18030, JSON lines, or an Excel
    workbook (first sheet). A file with a row in error writes nothing and answers 422 listing
    each row and its reason, unless `on_errors=import_valid`. Re-sending the same file changes
    nothing. With `Prefer: respond-async` the import runs as a job: 202 and the job's URL,
    which shows rows done of total and, at the end, this answer; the row errors download as a
    sheet from the job's `/row-errors`."""
    fmt = sheets.format_of(
        request.headers.get("content-type", ""),
        format,
        _FORMATS,
        Said(
            "名单请以 CSV、JSON lines 或 Excel（.xlsx）发送",
            "Send the roster as text/csv, application/x-ndjson, an .xlsx workbook or"
            " application/octet-stream",
        ),
    )
    upload = upload_of(request)
    try:
        if wants_async(prefer):
            total = await run_in_threadpool(service.estimated_rows, upload, fmt)
            job = await run_in_threadpool(
                jobs.start,
                session,
                principal,
                JobKind.roster_import,
                {"format": fmt, "bytes": upload.size, "on_errors": on_errors},
                payload=upload,
                total=total,
                lock="roster-import",
            )
            return accepted(job)
        result = await run_in_threadpool(
            partial(service.import_roster, import_valid=on_errors == "import_valid"),
            session,
            principal,
            upload,
            fmt,
        )
    except service.UnsupportedFormatError as exc:
        raise Problem(422, said_of(exc), slug="validation-error") from exc
    return RosterImportOut.model_validate(result, from_attributes=True)


_TEMPLATE = (
    ("身份证号", "18 位公民身份号码", "52010219900101123X"),
    ("姓名", "与身份证一致", "张三"),
    ("户编号", "防返贫监测系统的户编号", "5201020001"),
    ("行政区划代码", "6 位县级区划代码", "520102"),
    ("人员类别", "防止返贫监测对象，或脱贫人口", "防止返贫监测对象"),
    ("纳入日期", "如 2025-03-01、2025/3/1 或 2025年3月1日", "2025年3月1日"),
    ("退出日期", "仅移出名单时填写", ""),
)


@router.get(
    "/imports/template",
    response_class=Response,
    responses={**tables.FILE_RESPONSES, **problem_responses(403)},
)
def roster_template(
    principal: Annotated[Principal, Depends(require(Role.risk_manager, Role.admin))],
) -> Response:
    """名单导入模板: an Excel workbook whose first sheet has the Chinese column headers the
    import reads (fill it in and import it as it is), and a second sheet saying what each
    column takes, with an example."""
    sheet = tables.Table("名单", [tables.Column(name) for name, _, _ in _TEMPLATE], [])
    guide = tables.Table(
        "填写说明",
        [tables.Column("列名"), tables.Column("填写要求"), tables.Column("示例")],
        [list(row) for row in _TEMPLATE],
        title="帮扶人口名单导入模板：在“名单”工作表表头下逐行填写，一人一行",
    )
    body = tables.xlsx_bytes(sheet, guide)
    return Response(
        body,
        media_type=sheets.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )
