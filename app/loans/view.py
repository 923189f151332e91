"""A loan as its views read it (issue 29): the loan, its borrower's name, its county's open date
and, for the single loan view, its household's roster entries and its latest disbursement with
its instruction, in one statement (they were six round trips); its schedule with its county's
open date in one more (they were three)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import String, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.batch.models import RegionBusinessDate
from app.core import clock
from app.core.auth import Principal
from app.core.db import CompiledStatement, slot
from app.core.problems import not_found
from app.domain.accrual import AccrualBasis
from app.domain.eligibility import RosterStatus, household_roster_status, person_roster_status
from app.domain.position import ScheduleRow
from app.households import service as households
from app.households.models import Member
from app.integrations.models import OutboxMessage
from app.loans import schemas
from app.loans.models import Disbursement, Instalment, Loan
from app.loans.service import INSTRUCTION_PREFIX, disbursement_out
from app.roster.models import RosterEntry


@dataclass(frozen=True, slots=True)
class Viewed:
    """The loan, its borrower's name as the caller sees it and its county's open date; with
    `whole`, its borrower's roster status and its latest disbursement too."""

    loan: Loan
    borrower_name: str
    open_date: date | None
    roster: RosterStatus | None = None
    disbursement: schemas.DisbursementStateOut | None = None


_OPEN_DATE = (
    select(RegionBusinessDate.open_date)
    .where(RegionBusinessDate.region_code == Loan.region_code)
    .scalar_subquery()
)
# Each member's roster entry (category, removal date), or none: the household's status is the
# domain's (1.1), judged in Python on the county's business date.
_ROSTER = (
    select(func.json_agg(func.json_build_array(RosterEntry.category, RosterEntry.removed_date)))
    .select_from(Member)
    .outerjoin(RosterEntry, RosterEntry.id_hash == Member.id_hash)
    .where(Member.household_id == Loan.household_id)
    .scalar_subquery()
)
_EARLIER = aliased(Disbursement)
_LATEST_DISBURSEMENT = (
    select(_EARLIER.id)
    .where(_EARLIER.loan_id == Loan.id)
    .order_by(_EARLIER.created_at.desc(), _EARLIER.id)
    .limit(1)
    .correlate(Loan)
    .scalar_subquery()
)


# Built once: SQLAlchemy then finds their compiled form without walking a new statement.
_LOAN = (
    select(Loan, Member.name, _OPEN_DATE)
    .join(Member, Member.id == Loan.borrower_member_id)
    .where(Loan.id == bindparam("loan_id"))
)
_WHOLE = (
    _LOAN.add_columns(_ROSTER, Disbursement, OutboxMessage)
    .outerjoin(Disbursement, Disbursement.id == _LATEST_DISBURSEMENT)
    .outerjoin(
        OutboxMessage,
        OutboxMessage.idempotency_key
        == literal(INSTRUCTION_PREFIX, String) + cast(Disbursement.id, String),
    )
)


def viewed(
    session: Session, principal: Principal, loan_id: uuid.UUID, *, whole: bool = False
) -> Viewed:
    """The loan (404 outside the caller's regions, as `service.get`) as its views need it."""
    found = session.execute(_WHOLE if whole else _LOAN, {"loan_id": loan_id}).one_or_none()
    if found is None:
        raise not_found("Loan")
    row: tuple[Any, ...] = tuple(found)
    loan, name, open_date = row[:3]
    principal.ensure_region(loan.region_code, "Loan")
    shown = households.name_as_shown(principal, name)
    if not whole:
        return Viewed(loan, shown, open_date)
    entries, disbursement, message = row[3:]
    return Viewed(
        loan,
        shown,
        open_date,
        _roster_status(entries or [], clock.county_day(open_date)),
        disbursement_out(disbursement, message) if disbursement is not None else None,
    )


# The schedule's rows as the driver gives them (no ORM objects: building 36 instalments was
# most of the read's CPU; bench.figures, a loan and its schedule).
_SCHEDULE = CompiledStatement(
    select(*Instalment.__table__.columns, Loan.region_code, _OPEN_DATE.label("open_date"))
    .join(Loan, Loan.id == Instalment.loan_id)
    .where(Instalment.loan_id == slot("loan_id"))
    .order_by(Instalment.number)
)


class ScheduleLine(ScheduleRow, AccrualBasis, Protocol):
    """An instalment as the schedule view reads it: the stored row's columns (what is due
    and paid, and the subsidy's shares)."""


def schedule(
    session: Session, principal: Principal, loan_id: uuid.UUID
) -> tuple[date | None, Sequence[ScheduleLine]]:
    """The loan's instalments and its county's open date, in one statement (404 outside the
    caller's regions, as `service.get`); a loan with no schedule yet is read as its view."""
    rows = _SCHEDULE.execute(session, {"loan_id": loan_id}).all()
    if not rows:
        return viewed(session, principal, loan_id).open_date, []
    principal.ensure_region(rows[0].region_code, "Loan")
    return rows[0].open_date, rows


def _roster_status(entries: list[list[Any]], on: date) -> RosterStatus:
    """1.1: the household's status from its members' roster entries (none: not listed)."""
    return household_roster_status(
        [
            person_roster_status(category, date.fromisoformat(removed) if removed else None, on)
            for category, removed in entries
        ]
    )
