"""/console pages of files (issue 28): the finance clerk's claims and reports, every download
the API gives (handed on as the API wrote it), a loan's documents (issue 30), and imports: the
roster and legacy contracts, with the roster's template and each job's row errors to download."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.console.actions import ACTIONS
from app.console.forms import Shown
from app.console.pages import Page, Signed, Write, business_day, items_of, to
from app.core import zh_input
from app.core.sheets import XLSX_MEDIA_TYPE
from app.core.tables import CSV_MEDIA_TYPE
from app.domain.documents import DocumentKind
from app.domain.evidence import EvidenceSubject
from app.reports.periods import PERIOD_PATTERN

router = APIRouter(prefix="/console", include_in_schema=False)

_PERIOD = re.compile(PERIOD_PATTERN)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _last_month(today: str) -> str:
    year, month = int(today[:4]), int(today[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


@router.get("/finance", response_class=HTMLResponse)
async def finance(
    page: Page, period: str = "", as_of: str = "", bank_npl_ratio: str = ""
) -> HTMLResponse:
    """财务与报表: a period's subsidy claims by county (submit one, record the finance
    department's payment), and every report to download."""
    region = page.user.principal.regions[0]
    today = await business_day(region if region != "*" else "")
    period = period if _PERIOD.fullmatch(period) else _last_month(today)
    as_of = as_of if _DAY.fullmatch(as_of) else today
    claims = await page.api.get("/v1/reports/subsidy-claims", period=period, lines="false")
    counties = claims.body.get("counties", []) if claims.ok else []
    forms = {
        c["region_code"]: Shown(
            ACTIONS["claim_payment"].form,
            f"/console/do/claim_payment/{c['claim_id']}",
            today=today,
            id=f"pay{n}",
        )
        for n, c in enumerate(counties)
        if c.get("claim_id") and c.get("status") == "submitted"
    }
    submit = Shown(
        ACTIONS["claim_submit"].form,
        "/console/do/claim_submit/-",
        typed={"period": period, "region_code": region if len(region) == 6 else ""},
        id="submit",
    )
    return page.page(
        "finance.html",
        period=period,
        as_of=as_of,
        claims=claims.body if claims.ok else None,
        counties=counties,
        problem=claims.problem,
        forms=forms,
        submit=submit,
        bank_npl_ratio=bank_npl_ratio,
    )


@router.get("/departments", response_class=HTMLResponse)
async def departments(page: Page, period: str = "", as_of: str = "") -> HTMLResponse:
    """部门视图 (3.4, 5.3): the portfolio's quality by county and the subsidy claim's form, for
    the finance and agriculture departments and the regulator (and any report reader); each
    read is audited by the API."""
    region = page.user.principal.regions[0]
    today = await business_day(region if region != "*" else "")
    period = period if _PERIOD.fullmatch(period) else _last_month(today)
    # the last day closed (the open business date has no end of day yet)
    as_of = as_of if _DAY.fullmatch(as_of) else str(date.fromisoformat(today) - timedelta(days=1))
    quality = await page.api.get("/v1/reports/portfolio-quality", as_of=as_of)
    claims = await page.api.get("/v1/reports/subsidy-claims", period=period, lines="false")
    month = period if len(period) == 7 else _last_month(today)  # the monthly report's month
    monitored = await page.api.get("/v1/reports/monitoring", period=month)
    return page.page(
        "departments.html",
        month=month,
        monitored=monitored.body if monitored.ok else None,
        period=period,
        as_of=as_of,
        quality=quality.body if quality.ok else None,
        quality_problem="" if quality.ok else quality.problem,
        counties=claims.body.get("counties", []) if claims.ok else [],
        claims_problem="" if claims.ok else claims.problem,
    )


# The API's downloads the console hands on: a name here, the API's path and the params the
# page may pass through.
DOWNLOADS: dict[str, tuple[str, tuple[str, ...]]] = {
    "loans": (
        "/v1/loans",
        (
            "status",
            "risk_class",
            "officer",
            "region",
            "sort",
            "name",
            "contract_number",
            "id_number",
            "household_number",
        ),
    ),
    "subsidy-claims": ("/v1/reports/subsidy-claims", ("period", "region")),
    "portfolio-quality": ("/v1/reports/portfolio-quality", ("as_of", "region", "bank_npl_ratio")),
    "risk-compensation": ("/v1/reports/risk-compensation", ("period", "bank_npl_ratio")),
    "exemption-cases": ("/v1/reports/exemption-cases", ("region",)),
    "monitoring": ("/v1/reports/monitoring", ("period", "region")),
    "roster-template": ("/v1/roster/imports/template", ()),
}


@router.get("/files/{name}.{ext}")
async def download(page: Page, name: str, ext: str) -> Response:
    """A download as the API wrote it, asked as the person signed in."""
    if name not in DOWNLOADS or ext not in ("xlsx", "csv"):
        return Response(status_code=404)
    path, allowed = DOWNLOADS[name]
    params = {k: v for k, v in page.request.query_params.items() if k in allowed}
    if params.get("bank_npl_ratio"):  # typed as people write rates: 1.5% or 1.5
        try:
            params["bank_npl_ratio"] = format(zh_input.rate(params["bank_npl_ratio"]), "f")
        except zh_input.InputError as exc:
            return HTMLResponse(f"<p>全行不良率：{exc}</p>", status_code=422)
    answer = await page.api.file(path, **params, format=ext)
    return _handed_on(answer)


@router.get("/files/jobs/{job_id}/{what}")
async def job_file(page: Page, job_id: uuid.UUID, what: str) -> Response:
    """A job's row errors (as a workbook) or the file it made."""
    if what == "row-errors.xlsx":
        answer = await page.api.file(f"/v1/jobs/{job_id}/row-errors", format="xlsx")
    elif what == "output":
        answer = await page.api.file(f"/v1/jobs/{job_id}/output")
    else:
        return Response(status_code=404)
    return _handed_on(answer)


@router.get("/loans/{loan_id}/documents/{kind}")
async def loan_document(page: Page, loan_id: uuid.UUID, kind: str) -> Response:
    """A loan's contract, subsidy notice, schedule or settlement certificate (PDF), printed by
    the API for the person signed in (and recorded there with its digest)."""
    if kind not in DocumentKind.__members__:
        return Response(status_code=404)
    return _handed_on(await page.api.file(f"/v1/loans/{loan_id}/documents/{kind}"))


def _handed_on(answer: Any) -> Response:
    if answer.status_code >= 400:
        kind = answer.headers.get("content-type", "")
        said = answer.json().get("detail", "") if "json" in kind else ""
        return HTMLResponse(f"<p>无法下载：{said}</p>", status_code=answer.status_code)
    keep = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=keep)


# --- evidence attachments (issue 30) ---------------------------------------------------------


@router.get("/evidence/{subject_type}/{subject_id}", response_class=HTMLResponse)
async def evidence(
    page: Page, subject_type: EvidenceSubject, subject_id: uuid.UUID, problem: str = ""
) -> HTMLResponse:
    """A record's photos and scans, and a form to add one (a correction names the one it
    corrects: nothing kept is removed)."""
    found = await page.api.get(
        "/v1/attachments", subject_type=subject_type.value, subject_id=str(subject_id)
    )
    if not found.ok:
        return page.refused(found)
    return page.page(
        "evidence.html",
        status=422 if problem else 200,
        subject_type=subject_type.value,
        subject_id=subject_id,
        attachments=found.body,
        problem=problem,
    )


@router.post("/evidence/{subject_type}/{subject_id}", dependencies=[Write])
async def add_evidence(
    page: Page,
    subject_type: EvidenceSubject,
    subject_id: uuid.UUID,
    key: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form()] = "",
    corrects: Annotated[str, Form()] = "",
) -> Response:
    answer = await page.api.upload(
        "/v1/attachments",
        _chunks(file),
        file.content_type or "application/octet-stream",
        key,
        as_job=False,
        subject_type=subject_type.value,
        subject_id=str(subject_id),
        file_name=(file.filename or "evidence")[-200:],
        note=note.strip()[:500] or None,
        corrects=corrects or None,
    )
    if not answer.ok:
        return await evidence(page, subject_type, subject_id, problem=answer.problem)
    return to(f"/console/evidence/{subject_type.value}/{subject_id}")


@router.get("/attachments/{attachment_id}")
async def attachment_content(page: Page, attachment_id: uuid.UUID) -> Response:
    """The file as kept, checked by the API against its digest."""
    return _handed_on(await page.api.file(f"/v1/attachments/{attachment_id}/content"))


# --- imports -------------------------------------------------------------------------------

_IMPORTS = {
    "roster": ("/v1/roster/imports", "名单导入"),
    "legacy": ("/v1/legacy-loans/sheet-imports", "存量贷款导入"),
}
_KINDS = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE}


@router.get("/imports", response_class=HTMLResponse)
async def imports(page: Page, problem: str = "") -> HTMLResponse:
    del problem  # a page shows only what the service wrote (app/console/router.py NOTICES)
    found = await page.api.get("/v1/jobs", limit=20)
    return page.page("imports.html", jobs=items_of(found), problem="", result=None)


@router.post("/imports/{what}", response_class=HTMLResponse, dependencies=[Write])
async def start_import(
    page: Page,
    what: str,
    key: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    on_errors: Annotated[str, Form()] = "refuse",
) -> Response:
    """The file goes to the API as it is, as a job (Prefer: respond-async); the page then
    follows the job (its progress and its row errors)."""
    if what not in _IMPORTS:
        return Response(status_code=404)
    path, title = _IMPORTS[what]
    ext = (file.filename or "").rsplit(".", 1)[-1].lower()
    if ext not in _KINDS:
        return await _import_refused(page, f"{title}：请选择 Excel 或 CSV 文件")
    answer = await page.api.upload(
        path,
        _chunks(file),
        _KINDS[ext],
        key,
        on_errors="import_valid" if on_errors == "import_valid" else "refuse",
    )
    if answer.status == 202:  # a job: its page follows it
        return to("/console/jobs")
    if answer.ok:  # done at once (the legacy sheet): what it did
        found = await page.api.get("/v1/jobs", limit=20)
        return page.page("imports.html", jobs=items_of(found), problem="", result=answer.body)
    return await _import_refused(page, f"{title}：{answer.problem}")


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file a megabyte at a time (never held whole: the API streams it to disk)."""
    while chunk := await file.read(1 << 20):
        yield chunk


async def _import_refused(page: Signed, problem: str) -> HTMLResponse:
    found = await page.api.get("/v1/jobs", limit=20)
    return page.page("imports.html", status=422, jobs=items_of(found), problem=problem, result=None)
