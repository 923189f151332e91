"""Roster import: validate every line, COPY the good ones into a staging table, then merge them
into `roster_entries` with one statement. Re-sending the same file changes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    LargeBinary,
    String,
    column,
    func,
    not_,
    select,
    table,
    text,
    union,
)
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import clock, sheets, zh_input
from app.core.auth import Principal
from app.core.crypto import ID_NUMBER, FieldCipher, get_cipher
from app.core.db import get_sessionmaker
from app.core.i18n import Said, language_var, said_of
from app.core.identity import InvalidIdNumberError, parse_id_number, region_code_known
from app.core.masking import mask_id_number
from app.core.problems import Problem, outside_regions, rows_in_error
from app.core.scoping import scope_filter
from app.core.uploads import Upload
from app.domain.eligibility import LISTED
from app.domain.labels import code_of
from app.jobs.models import JobKind
from app.jobs.service import Outcome, Run, handles
from app.roster.models import RosterEntry, RosterImport

COLUMNS = (
    "id_number",
    "name",
    "household_number",
    "region_code",
    "category",
    "listed_date",
    "removed_date",
)
CATEGORIES = frozenset(c.value for c in LISTED)
MAX_LISTED_PROBLEMS = 10_000
PROGRESS_ROWS = 1_000


UnsupportedFormatError = sheets.UnreadableFileError
FORMATS = ("csv", "jsonl", "xlsx")


_NOT_AN_OBJECT = Said("不是 JSON 对象", "not a JSON object")


@dataclass
class ImportResult:
    import_id: uuid.UUID
    lines: int = 0
    accepted: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        """Counted always; listed up to MAX_LISTED_PROBLEMS."""
        self.rejected += 1
        if len(self.rejections) < MAX_LISTED_PROBLEMS:
            self.rejections.append({"line": line, "reason": reason})


# Chinese column headers as the agriculture departments' sheets name them (issue 18), beside
# the English ones.
HEADER_ALIASES = {
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "姓名": "name",
    "户编号": "household_number",
    "户号": "household_number",
    "家庭编号": "household_number",
    "行政区划代码": "region_code",
    "区划代码": "region_code",
    "县级区划代码": "region_code",
    "人员类别": "category",
    "类别": "category",
    "纳入日期": "listed_date",
    "识别日期": "listed_date",
    "退出日期": "removed_date",
    "移出日期": "removed_date",
}
# The two listed categories as the departments also write them, beside their Chinese labels
# (app/domain/labels.py).
CATEGORY_ALIASES = {
    "防止返贫致贫对象": "monitoring_target",
    "监测对象": "monitoring_target",
    "继续帮扶脱贫人口": "continued_support",
    "需继续帮扶的脱贫人口": "continued_support",
    "脱贫人口": "continued_support",
}


def _rows(
    upload: Upload, fmt: str, named: dict[str, str] | None = None
) -> Iterator[tuple[int, dict[str, Any] | Said]]:
    """(line number, row dict) per data line, or (line number, reason) for unreadable ones;
    `named` gets each column's header as the file wrote it."""
    required = set(COLUMNS) - {"removed_date"}
    if fmt == "csv":
        yield from sheets.csv_rows(upload, HEADER_ALIASES, required, named)
    elif fmt == "xlsx":
        yield from sheets.xlsx_rows(upload, HEADER_ALIASES, required, named)
    else:
        yield from _jsonl_rows(sheets.text_lines(upload))


def _jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | Said]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # nested past parsing: not a row either
            yield number, _NOT_AN_OBJECT
            continue
        yield number, row if isinstance(row, dict) else _NOT_AN_OBJECT


def _date(value: Any, name: str) -> date:
    """A date as people write it: 2025-03-01, 2025/3/1, 2025年3月1日 (app/core/zh_input.py)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(Said(f"{name} 为必填项", f"{name} is required"))
    try:
        return zh_input.day(value)
    except zh_input.InputError as exc:
        raise ValueError(
            Said(
                f"{name}：{exc}",
                f"{name} must be a date such as 2025-03-01, 2025/3/1 or 2025年3月1日",
            )
        ) from exc


def _text(row: dict[str, Any], name: str, limit: int, label: str | None = None) -> str:
    value = row.get(name)
    label = label or name
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise ValueError(
            Said(
                f"{label} 为必填项（至多 {limit} 个字符）",
                f"{label} is required (at most {limit} characters)",
            )
        )
    return value.strip()


class _Checks:
    """A row's checks, each run whatever the others found, so a row lists every error; each
    column named as the file's header names it (`named`: field → header)."""

    def __init__(self, named: dict[str, str]) -> None:
        self.named = named
        self.errors: list[Said] = []

    def name(self, field: str) -> str:
        return self.named.get(field, field)

    def check(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except ValueError as exc:
            self.errors.append(said_of(exc))
            return None

    def refuse(self, said: Said) -> None:
        self.errors.append(said)


def _person(row: dict[str, Any], today: date, name: str) -> Any:
    raw_id = row.get("id_number")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ValueError(Said(f"{name} 为必填项", f"{name} is required"))
    try:
        return parse_id_number(raw_id, today)
    except InvalidIdNumberError as exc:
        raise ValueError(Said(f"{name}：", f"{name}: ") + said_of(exc)) from exc


def _region(row: dict[str, Any], name: str) -> str:
    region = _text(row, "region_code", 12, name)
    if len(region) != 6 or not region.isdigit():
        raise ValueError(
            Said(
                f"{name} 应为 6 位 GB/T 2260 行政区划代码",
                f"{name} must be a 6-digit GB/T 2260 code",
            )
        )
    return region


def _category(row: dict[str, Any], name: str) -> str:
    category = code_of("RosterStatus", _text(row, "category", 30, name), CATEGORY_ALIASES)
    if category not in CATEGORIES:
        raise ValueError(
            Said(
                f"{name} 应为防止返贫监测对象或脱贫人口",
                f"{name} must be monitoring_target or continued_support",
            )
        )
    return category


def _validate(
    row: dict[str, Any], today: date, cipher: FieldCipher, named: dict[str, str] | None = None
) -> tuple[tuple[Any, ...], str | None]:
    """The staging row, and a warning if any; raises ValueError with every reason to reject
    the row, each naming its column as the file does."""
    checks = _Checks(named or {})
    person = checks.check(lambda: _person(row, today, checks.name("id_number")))
    name = checks.check(lambda: _text(row, "name", 100, checks.name("name")))
    number = checks.check(
        lambda: _text(row, "household_number", 40, checks.name("household_number"))
    )
    region = checks.check(lambda: _region(row, checks.name("region_code")))
    category = checks.check(lambda: _category(row, checks.name("category")))
    listed = checks.check(lambda: _date(row.get("listed_date"), checks.name("listed_date")))
    removed_raw = row.get("removed_date")
    removed = (
        checks.check(lambda: _date(removed_raw, checks.name("removed_date")))
        if removed_raw not in (None, "")
        else None
    )
    if removed is not None and listed is not None and removed < listed:
        checks.refuse(Said("退出日期早于纳入日期", "removed_date is before listed_date"))
    if checks.errors:
        raise ValueError(
            Said("；".join(e.zh for e in checks.errors), "; ".join(e.en for e in checks.errors))
        )
    warning = None
    if not region_code_known(region):
        warning = Said(
            f"区划代码 {region} 不在现行代码表中（已保留）",
            f"region_code {region} is not in the current code table (kept)",
        ).in_(language_var.get())
    staged = (
        cipher.blind_index(person.value, ID_NUMBER),
        mask_id_number(person.value),
        cipher.encrypt(person.value, ID_NUMBER),
        name,
        number,
        region,
        category,
        listed,
        removed,
    )
    return staged, warning


def _staged_rows(
    rows: Iterable[tuple[int, dict[str, Any] | Said]],
    result: ImportResult,
    named: dict[str, str] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Valid rows for staging (with their line number). Nothing grows with the file here but
    the counts: repeats and regions are found in the staging table."""
    today = clock.today()
    cipher = get_cipher()
    language = language_var.get()
    for line, row in rows:
        result.lines += 1
        try:
            if isinstance(row, Said):
                raise ValueError(row)
            staged, warning = _validate(row, today, cipher, named)
        except ValueError as exc:
            result.reject(line, said_of(exc).in_(language))
            continue
        if warning and len(result.warnings) < MAX_LISTED_PROBLEMS:
            result.warnings.append({"line": line, "warning": warning})
        yield (*staged, line)


_REPEATED = text("""
DELETE FROM roster_staging s
WHERE EXISTS (SELECT 1 FROM roster_staging e WHERE e.id_hash = s.id_hash AND e.line < s.line)
RETURNING s.line
""")


def _drop_repeats(session: Session, result: ImportResult) -> None:
    """A person a second time in one file: that line is rejected, the first one stands."""
    language = language_var.get()
    reason = Said("同一人在本文件中已出现过", "the same person appears earlier in this file")
    for line in sorted(session.scalars(_REPEATED)):
        result.reject(line, reason.in_(language))
    result.rejections.sort(key=lambda r: int(r["line"]))


_STAGING = """
CREATE TEMPORARY TABLE roster_staging (
    id_hash bytea, id_masked text, id_encrypted bytea, name text, household_number text,
    region_code text, category text, listed_date date, removed_date date, line integer
) ON COMMIT DROP
"""

_STAGED = table(
    "roster_staging",
    column("line", Integer),
    column("id_hash", LargeBinary),
    column("region_code", String),
)

# A named hot path (STYLE §7): a province's million roster rows go through a COPY into staging
# and this one statement (bench/roster_import.py: 1,000,000 rows in about 33 s).
_MERGE = text("""
WITH prev AS (
    SELECT r.id_hash, r.removed_date AS prev_removed
    FROM roster_entries r JOIN roster_staging s USING (id_hash)
), up AS (
    INSERT INTO roster_entries AS r (id_hash, id_masked, id_encrypted, name, household_number,
                                     region_code, category, listed_date, removed_date, import_id)
    SELECT id_hash, id_masked, id_encrypted, name, household_number, region_code, category,
           listed_date, removed_date, :import_id
    FROM roster_staging
    ON CONFLICT (id_hash) DO UPDATE SET
        name = EXCLUDED.name, household_number = EXCLUDED.household_number,
        region_code = EXCLUDED.region_code, category = EXCLUDED.category,
        listed_date = EXCLUDED.listed_date, removed_date = EXCLUDED.removed_date,
        import_id = EXCLUDED.import_id, updated_at = now()
    WHERE (r.name, r.household_number, r.region_code, r.category, r.listed_date, r.removed_date)
          IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.household_number, EXCLUDED.region_code,
                            EXCLUDED.category, EXCLUDED.listed_date, EXCLUDED.removed_date)
    RETURNING r.id_hash, (xmax = 0) AS inserted, r.removed_date
)
SELECT
    count(*) FILTER (WHERE up.inserted AND up.removed_date IS NULL) AS accepted,
    count(*) FILTER (WHERE up.removed_date IS NOT NULL
                       AND (up.inserted OR prev.prev_removed IS NULL)) AS removed,
    count(*) FILTER (WHERE NOT up.inserted
                       AND NOT (up.removed_date IS NOT NULL AND prev.prev_removed IS NULL))
        AS updated,
    (SELECT count(*) FROM roster_staging) AS staged
FROM up LEFT JOIN prev USING (id_hash)
""")


def estimated_rows(upload: Upload, fmt: str) -> int:
    """Data lines in a file, for a progress bar (a quoted field may span lines: an estimate)."""
    if fmt == "xlsx":
        return sheets.xlsx_data_rows(upload)
    return max(sheets.line_count(upload) - (1 if fmt == "csv" else 0), 0)


def _counted(
    rows: Iterator[tuple[int, dict[str, Any] | Said]],
    on_progress: Callable[[int, int], None],
    total: int,
) -> Iterator[tuple[int, dict[str, Any] | Said]]:
    for done, item in enumerate(rows, start=1):
        yield item
        if done % PROGRESS_ROWS == 0:
            on_progress(min(done, total), total)


def import_roster(
    session: Session,
    principal: Principal,
    upload: Upload,
    fmt: str,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    import_valid: bool = False,
) -> ImportResult:
    """`on_progress(rows read, rows)` every PROGRESS_ROWS rows and once at the end. A file with
    a row in error writes nothing (422 listing every row), unless `import_valid`: then the valid
    rows are merged and the others listed. The steps: read and stage the rows, refuse what is
    not the caller's, merge, record."""
    if fmt not in FORMATS:
        raise UnsupportedFormatError(
            Said(
                "请发送 CSV、JSON lines 或 Excel（.xlsx）文件",
                "send CSV, JSON lines or Excel (.xlsx)",
            )
        )
    named: dict[str, str] = {}
    rows = _rows(upload, fmt, named)
    if on_progress is not None:
        rows = _counted(rows, on_progress, estimated_rows(upload, fmt))
    result = ImportResult(import_id=uuid.uuid4())
    _stage(session, rows, result, named)
    _refuse_outside(session, principal)
    if result.rejected and not import_valid:
        raise rows_in_error(result.rejected, result.rejections)
    _merge(session, result)
    _record(session, principal, fmt, result)
    if on_progress is not None:
        on_progress(result.lines, result.lines)
    return result


def _stage(
    session: Session,
    rows: Iterator[tuple[int, dict[str, Any] | Said]],
    result: ImportResult,
    named: dict[str, str],
) -> None:
    """The valid rows through COPY into the staging table; a person's repeats dropped."""
    connection = session.connection()
    connection.exec_driver_sql(_STAGING)
    raw = connection.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY roster_staging (id_hash, id_masked, id_encrypted, name, household_number,"
            " region_code, category, listed_date, removed_date, line) FROM STDIN"
        ) as copy,
    ):
        for staged in _staged_rows(rows, result, named):
            copy.write_row(staged)
    _drop_repeats(session, result)


def _refuse_outside(session: Session, principal: Principal) -> None:
    """A row for a county outside the caller's regions refuses the import as a whole; so does
    a person already listed in such a county (a removal included), whatever county the file
    gives: not theirs to change."""
    outside = union(
        select(_STAGED.c.line).where(not_(scope_filter(principal, _STAGED.c.region_code))),
        select(_STAGED.c.line)
        .join(RosterEntry, RosterEntry.id_hash == _STAGED.c.id_hash)
        .where(not_(scope_filter(principal, RosterEntry.region_code))),
    ).subquery()
    count = session.scalar(select(func.count()).select_from(outside)) or 0
    if count:
        lines = session.scalars(select(outside.c.line).order_by(outside.c.line).limit(1_000))
        raise outside_regions(Said("行", "rows"), [(f"line {n}",) for n in lines], count=count)


def _merge(session: Session, result: ImportResult) -> None:
    counts = session.execute(_MERGE, {"import_id": result.import_id}).one()
    result.accepted, result.removed, result.updated = (
        counts.accepted,
        counts.removed,
        counts.updated,
    )
    result.unchanged = counts.staged - result.accepted - result.removed - result.updated


def _record(session: Session, principal: Principal, fmt: str, result: ImportResult) -> None:
    """The import's row and its audit event."""
    counts = {
        "lines": result.lines,
        "accepted": result.accepted,
        "updated": result.updated,
        "removed": result.removed,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }
    session.add(
        RosterImport(
            id=result.import_id,
            imported_by=principal.subject,
            format=fmt,
            rejections=result.rejections,
            **counts,
        )
    )
    audit.record(
        session, principal, "roster.import", "roster_import", result.import_id, after=counts
    )


@handles(JobKind.roster_import)
def run_import_job(run: Run) -> Outcome:
    """A roster import started with `Prefer: respond-async`: the same import, in a worker."""
    with run.upload() as upload, get_sessionmaker().begin() as session:
        try:
            result = import_roster(
                session,
                run.principal,
                upload,
                run.params["format"],
                run.progress,
                import_valid=run.params.get("on_errors") == "import_valid",
            )
        except UnsupportedFormatError as exc:
            raise Problem(422, said_of(exc), slug="validation-error") from exc
    return Outcome(
        result={
            "import_id": str(result.import_id),
            "lines": result.lines,
            "accepted": result.accepted,
            "updated": result.updated,
            "removed": result.removed,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "warnings": result.warnings,
        },
        row_errors=result.rejections,
        row_error_count=result.rejected,
    )
