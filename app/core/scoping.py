"""Region scope in one place. Every query for a caller's records is filtered by `readable` (or
`scope_filter`), and every single record is loaded by `get_scoped`: outside the caller's
regions a record does not exist (404), and a list shows nothing of it. A principal always has
at least one prefix (the token is refused otherwise), and a missing scope means nothing, never
everything (`or_(false(), …)`)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from app.core.auth import NATIONAL_SCOPE, Principal
from app.core.db import Base
from app.core.problems import not_found

T = TypeVar("T", bound=Base)
S = TypeVar("S", bound=Select[Any])


# Region codes are digits (GB/T 2260's six, or longer below a county), at most 12.
_CODE_DIGITS = 12


def within(region_column: Any, prefix: str) -> ColumnElement[bool]:
    """Codes under a prefix, as a range an index on the column serves (a LIKE does not under
    the database's collation): digits only, so the range means the same in any collation."""
    if not prefix.isdigit():
        return region_column.startswith(prefix, autoescape=True)  # type: ignore[no-any-return]
    low = prefix
    high = prefix.ljust(_CODE_DIGITS, "9")
    return region_column.between(low, high)  # type: ignore[no-any-return]


def scope_filter(principal: Principal, region_column: Any) -> ColumnElement[bool]:
    """The caller's regions as a condition on `region_column` (GB/T 2260 codes)."""
    prefixes = principal.region_prefixes()
    if prefixes is None:
        return true()
    return or_(false(), *(within(region_column, p) for p in prefixes))


def prefixes_filter(regions: list[str], region_column: Any) -> ColumnElement[bool]:
    """Stored regions (a job's, a request's) as a condition: `*` is national."""
    if NATIONAL_SCOPE in regions:
        return true()
    return or_(false(), *(within(region_column, p) for p in regions))


def readable(stmt: S, principal: Principal, region_column: Any) -> S:
    """`stmt` limited to the caller's regions."""
    return stmt.where(scope_filter(principal, region_column))


def get_scoped(
    session: Session,
    model: type[T],
    record_id: uuid.UUID,
    principal: Principal,
    what: str,
    *,
    for_update: bool = False,
) -> T:
    """The record of `model` (which has `id` and `region_code` columns), optionally row-locked
    so that concurrent transitions are serialised, if the caller's regions cover it; else 404."""
    query = select(model).where(model.__table__.c.id == record_id)
    if for_update:
        # populate_existing: an object this session loaded before the lock is refreshed from
        # the locked row, or concurrent changes would be overwritten by stale values.
        query = query.with_for_update().execution_options(populate_existing=True)
    record = session.scalars(query).one_or_none()
    if record is None:
        raise not_found(what)
    principal.ensure_region(str(getattr(record, "region_code")), what)  # noqa: B009
    return record
