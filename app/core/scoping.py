"""Loading a record the caller may see: outside their regions it does not exist (404)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.auth import Principal
from app.core.db import Base
from app.core.problems import not_found

T = TypeVar("T", bound=Base)


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
