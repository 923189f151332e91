"""POST /v1/legacy-loans/imports: contracts from the bank's earlier system (clause 5.2)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.core import sheets
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said
from app.core.problems import problem_responses
from app.core.types import Day
from app.core.uploads import Upload, upload_of
from app.jobs import service as jobs
from app.jobs.models import JobKind
from app.jobs.router import ACCEPTED, PREFER_HELP, accepted, wants_async
from app.legacy import schemas, service

router = APIRouter(prefix="/v1/legacy-loans", tags=["legacy"])
lpr_router = APIRouter(prefix="/v1/lpr-rates", tags=["legacy"])


@router.post(
    "/imports",
    response_model=schemas.LegacyImportOut,
    status_code=201,
    responses={**ACCEPTED, **problem_responses(403, 413)},
)
def import_legacy_loans(
    body: schemas.LegacyImportIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
    prefer: Annotated[str | None, Header(description=PREFER_HELP)] = None,
) -> schemas.LegacyImportOut | JSONResponse:
    """脱贫人口小额信贷 contracts signed before 2026-02-24, serviced under their own terms
    (amount, rate, recorded subsidy shares, dates, schedule state, renewal/extension used).
    Each contract is accepted or rejected with its reasons; re-sending one changes nothing.
    With `Prefer: respond-async` the import runs as a job: 202 and the job's URL (contracts
    done of total; at the end this answer, the rejections as row errors)."""
    if wants_async(prefer):
        service.require_within_regions(principal, body)
        job = jobs.start(
            session,
            principal,
            JobKind.legacy_import,
            {"contracts": len(body.loans), "as_of": body.as_of and str(body.as_of)},
            payload=Upload.of(body.model_dump_json().encode()),
            total=len(body.loans),
            lock="legacy-import",
        )
        return accepted(job)
    return service.import_loans(session, principal, body)


@lpr_router.get("", response_model=list[schemas.LprRateOut], responses=problem_responses(403))
def list_lpr_rates(
    session: DbSession,
    principal: Annotated[
        Principal,
        Depends(
            require(
                Role.loan_officer,
                Role.credit_reviewer,
                Role.risk_manager,
                Role.auditor,
                Role.admin,
            )
        ),
    ],
) -> list[schemas.LprRateOut]:
    """The loan prime rates by publication date, in force or awaiting a second administrator: a
    legacy contract's rate is at most the 1-year LPR (terms up to a year) or the 5-year LPR
    (longer) in force when it was signed."""
    return [
        schemas.LprRateOut.model_validate(r)
        for r in service.lpr_rows(session, statuses=("in_force", "pending"))
    ]


@lpr_router.post(
    "", response_model=schemas.LprRateOut, status_code=201, responses=problem_responses(403, 409)
)
def record_lpr_rate(
    body: schemas.LprRateIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
) -> schemas.LprRateOut:
    """Record a new LPR publication (a national administrator, on the day it is published: the
    national business date; 409 `date-out-of-range` otherwise, as reference data never changes
    the past). It is `pending` and counts for nothing until a second administrator approves it
    at POST /v1/decisions/{id}/decision. A date already recorded is 409: rates are not edited."""
    return schemas.LprRateOut.model_validate(service.record_lpr(session, principal, body))


_SHEET_FORMATS = {"text/csv": "csv", sheets.XLSX_MEDIA_TYPE: "xlsx"}


@router.post(
    "/sheet-imports",
    response_model=schemas.LegacySheetImportOut,
    status_code=201,
    responses=problem_responses(403, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                sheets.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_legacy_sheet(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.admin))],
    format: Annotated[
        Literal["csv", "xlsx"],
        Query(description="with `application/octet-stream`: the file's format"),
    ] = "xlsx",
    as_of: Annotated[Day | None, Query(description="migration date; default today")] = None,
    on_errors: Annotated[
        Literal["refuse", "import_valid"], Query(description=sheets.ON_ERRORS_HELP)
    ] = "refuse",
) -> schemas.LegacySheetImportOut:
    """存量贷款导入（表格）. The earlier system's contracts as a sheet, a row per contract:
    合同编号, 借款人姓名, 身份证号, 手机号, 行政区划代码, 地址, 放款账号, 贷款金额, 年利率,
    期限（月）, 还款方式 (等额本息 / 等额本金 / 按期付息到期还本 / 利随本清, or the codes),
    贷款用途, 签约日期, 放款日期, 中央贴息率, 地方贴息率, 贴息本金, 已还期数, 续贷展期次数;
    or the English field names
    (borrower_name, borrower_id_number, borrower_phone for the borrower). Each contract is checked
    as the JSON import checks it. A sheet with a row in error writes nothing (422 listing each
    row and reason) unless `on_errors=import_valid`."""
    fmt = sheets.format_of(
        request.headers.get("content-type", ""),
        format,
        _SHEET_FORMATS,
        Said(
            "请以 Excel（.xlsx）或 CSV 发送",
            "Send the sheet as an .xlsx workbook, text/csv or application/octet-stream",
        ),
    )
    return await run_in_threadpool(
        service.import_sheet,
        session,
        principal,
        upload_of(request),
        fmt,
        as_of,
        on_errors == "import_valid",
    )
