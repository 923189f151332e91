"""Reading applications: a list page, one's latest evaluation, the loan it became, the rate
guidance for its household's grade (1.4)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.applications import schemas
from app.applications.models import Application, ApplicationEvaluation
from app.core.auth import Principal
from app.core.pagination import keyset_page, next_cursor, total_of
from app.core.scoping import readable, within
from app.loans.models import Loan

S = schemas.ApplicationStatus


def latest_evaluation(session: Session, application_id: uuid.UUID) -> ApplicationEvaluation | None:
    return session.scalar(
        select(ApplicationEvaluation)
        .where(ApplicationEvaluation.application_id == application_id)
        .order_by(ApplicationEvaluation.id.desc())
        .limit(1)
    )


def loan_id_of(session: Session, application_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Loan.id).where(Loan.application_id == application_id))


# What people sort applications by (`-` first: descending); every page also orders by id.
SORTS = {"submitted_at": Application.submitted_at, "amount": Application.amount}
SORT_CHOICES = tuple(f"{sign}{name}" for name in SORTS for sign in ("-", ""))


def list_page(
    session: Session,
    principal: Principal,
    *,
    status: S | None,
    region: str | None,
    cursor: str | None,
    limit: int,
    officer: str | None = None,
    sort: str = "-submitted_at",
    household_id: uuid.UUID | None = None,
    ids: list[uuid.UUID] | None = None,
) -> tuple[list[Application], str | None, int]:
    """Newest first by default, keyset-paginated on (the sort's field, id), within the
    caller's regions; and how many match in all."""
    query = select(Application)
    if status is not None:
        query = query.where(Application.status == status.value)
    if region is not None:
        query = query.where(within(Application.region_code, region))
    if officer is not None:
        query = query.where(Application.officer == officer)
    if household_id is not None:
        query = query.where(Application.household_id == household_id)
    if ids:
        query = query.where(Application.id.in_(ids))
    query = readable(query, principal, Application.region_code)
    items = list(session.scalars(keyset_page(query, sort, SORTS, Application.id, cursor, limit)))
    return items, next_cursor(items, sort, SORTS, limit), total_of(session, query)
