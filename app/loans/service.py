"""Loans as readers see them: a scoped loan, lists, its position and alerts, its disbursements
with their instructions; and a risk manager's class override. Every change to a loan goes
through app/loans/lifecycle/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, literal, or_, select, true
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal, Role
from app.core.i18n import Said
from app.core.pagination import keyset_page, next_cursor, total_of
from app.core.problems import Problem, conflict, loan_is, not_found, refuse_unless_passed
from app.core.scoping import get_scoped, readable, within
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain.classification import (
    RiskClass,
    check_class_change,
    check_override_evidence,
    override_needs_a_decision,
)
from app.domain.decisions import DecisionKind, DecisionStatus
from app.domain.eligibility import LISTED, RosterStatus
from app.domain.loan_status import LoanStatus
from app.domain.monitoring import next_visit_due
from app.integrations.models import OutboxMessage
from app.loans import counts, lifecycle, schemas
from app.loans.models import Disbursement, Loan


def get(
    session: Session, principal: Principal, loan_id: uuid.UUID, *, for_update: bool = False
) -> Loan:
    return get_scoped(session, Loan, loan_id, principal, "Loan", for_update=for_update)


INSTRUCTION_PREFIX = "disbursement-"


def instruction_key(disbursement_id: uuid.UUID) -> str:
    return f"{INSTRUCTION_PREFIX}{disbursement_id}"


def _with_instruction() -> Select[Disbursement, OutboxMessage]:
    """Disbursements with their instruction, in one read."""
    return select(Disbursement, OutboxMessage).outerjoin(
        OutboxMessage,
        OutboxMessage.idempotency_key
        == literal(INSTRUCTION_PREFIX, String) + cast(Disbursement.id, String),
    )


def disbursement_state(
    session: Session, principal: Principal, disbursement_id: uuid.UUID
) -> schemas.DisbursementStateOut:
    found = session.execute(
        _with_instruction().where(Disbursement.id == disbursement_id)
    ).one_or_none()
    if found is None:
        raise not_found("Disbursement")
    disbursement, message = found
    principal.ensure_region(disbursement.region_code, "Disbursement")
    return disbursement_out(disbursement, message)


def disbursements_of(
    session: Session, principal: Principal, loan_id: uuid.UUID
) -> list[schemas.DisbursementStateOut]:
    loan = get(session, principal, loan_id)
    rows = session.execute(
        _with_instruction()
        .where(Disbursement.loan_id == loan.id)
        .order_by(Disbursement.created_at.desc(), Disbursement.id)
    )
    return [disbursement_out(d, m) for d, m in rows]


def disbursement_out(
    disbursement: Disbursement, message: OutboxMessage | None
) -> schemas.DisbursementStateOut:
    return schemas.DisbursementStateOut(
        **schemas.DisbursementOut.model_validate(disbursement).model_dump(),
        requested_by=disbursement.requested_by,
        delivery_status=message.status if message else None,
        delivery_attempts=message.attempts if message else 0,
        last_error=message.last_error if message else None,
        reconciliation=disbursement.reconciliation,
        reported_transaction_id=disbursement.reported_transaction_id,
        reported_value_date=disbursement.reported_value_date,
    )


@dataclass(frozen=True)
class Position:
    """What is owed on the loan's open business date."""

    as_of: date | None
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty: Decimal
    next_due_date: date | None


def position_on(loan: Loan, as_of: date | None) -> Position:
    """The loan's position as of its county's open date (read by the caller)."""
    return Position(
        as_of,
        loan.overdue_principal,
        loan.overdue_interest,
        loan.penalty_outstanding,
        loan.current_due_date,
    )


# What people sort loan lists by (`-` first: descending); every page also orders by id.
SORTS = {
    "id": Loan.id,
    "contract_number": Loan.contract_number,
    "signed_on": Loan.signed_on,
    "principal": Loan.principal,
    "principal_outstanding": Loan.principal_outstanding,
    "days_past_due": Loan.days_past_due,
}
SORT_CHOICES = tuple(f"{sign}{name}" for name in SORTS for sign in ("", "-"))


def contract_numbers(session: Session, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The loans' contract numbers (合同编号), for a report that names its loans."""
    if not loan_ids:
        return {}
    rows = session.execute(select(Loan.id, Loan.contract_number).where(Loan.id.in_(loan_ids)))
    return {loan_id: number for loan_id, number in rows}


@dataclass(frozen=True, slots=True)
class LoanFilter:
    status: LoanStatus | None = None
    region: str | None = None
    risk_class: str | None = None
    external_ref: str | None = None
    core_transaction_id: str | None = None
    officer: str | None = None
    household_id: uuid.UUID | None = None
    contract_number: str | None = None
    ids: tuple[uuid.UUID, ...] = ()
    # households.households_matching: by a member's name, ID number or the household number
    households: Select[Any] | None = None


def filtered(principal: Principal, where: LoanFilter) -> Select[Any]:
    """The loans a list shows: the filters, within the caller's regions."""
    query = select(Loan)
    if where.officer is not None:
        query = query.where(Loan.officer == where.officer)
    if where.household_id is not None:
        query = query.where(Loan.household_id == where.household_id)
    if where.households is not None:
        query = query.where(Loan.household_id.in_(where.households))
    if where.contract_number is not None:
        query = query.where(Loan.contract_number == where.contract_number)
    if where.ids:
        query = query.where(Loan.id.in_(where.ids))
    if where.status is not None:
        query = query.where(Loan.status == where.status)
    if where.external_ref is not None:
        query = query.where(Loan.external_ref == where.external_ref)
    if where.core_transaction_id is not None:
        # the loan whose disbursement core banking booked under this reference
        query = query.where(
            Loan.id.in_(
                select(Disbursement.loan_id).where(
                    Disbursement.core_transaction_id == where.core_transaction_id
                )
            )
        )
    if where.risk_class is not None:
        query = query.where(Loan.risk_class == where.risk_class)
    if where.region is not None:
        query = query.where(within(Loan.region_code, where.region))
    return readable(query, principal, Loan.region_code)


@dataclass(frozen=True, slots=True)
class Totals:
    loans: int
    principal: Decimal
    principal_outstanding: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal


def totals_of(session: Session, query: Select[Any]) -> Totals:
    """How many loans the filters match and their sums, in one statement."""
    matched = query.order_by(None).subquery()
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(matched.c.principal), 0),
            func.coalesce(func.sum(matched.c.principal_outstanding), 0),
            func.coalesce(func.sum(matched.c.overdue_principal), 0),
            func.coalesce(func.sum(matched.c.overdue_interest), 0),
        )
    ).one()
    return Totals(int(row[0]), *(Decimal(v) for v in row[1:]))


def _contract_ranges(principal: Principal, where: LoanFilter) -> ColumnElement[bool]:
    """A loan's contract number begins with its county's code, so the loans a region filter
    or scope allows lie in those ranges of contract numbers: said outright, so that sorting by
    contract number reads the index over those ranges only (read whole from one end, a county's
    first page is found after every other county's loans)."""
    prefixes = [where.region] if where.region else principal.region_prefixes()
    if not prefixes:
        return true()
    return or_(*(within(Loan.contract_number, p[:6]) for p in prefixes))


def list_page(
    session: Session,
    principal: Principal,
    where: LoanFilter,
    *,
    sort: str = "id",
    cursor: str | None = None,
    limit: int = 50,
    with_sums: bool = False,
) -> tuple[list[Loan], str | None, Totals]:
    """A page of loans, the cursor to the next, and how many match in all; with their sums
    when asked (a sum reads every matching row; a count alone reads the index)."""
    query = filtered(principal, where)
    ordered = query
    if sort.lstrip("-") == "contract_number":
        ordered = query.where(_contract_ranges(principal, where))
    page = keyset_page(ordered, sort, SORTS, Loan.id, cursor, limit)
    items = list(session.scalars(page))
    totals = (
        totals_of(session, query)
        if with_sums
        else Totals(count_of(session, principal, where), *([Decimal(0)] * 4))
    )
    return items, next_cursor(items, sort, SORTS, limit), totals


def count_of(session: Session, principal: Principal, where: LoanFilter) -> int:
    """How many loans the filters match: from the counts kept by county and status when only
    those narrow the list (app/loans/counts.py), else counted."""
    if where == LoanFilter(status=where.status, region=where.region):
        status = where.status.value if where.status is not None else None
        return counts.counted(session, principal, where.region, status)
    return total_of(session, filtered(principal, where))


EXPORT_MAX_ROWS = 100_000


def export_rows(
    session: Session, principal: Principal, where: LoanFilter, sort: str
) -> Iterator[Loan]:
    """Every loan the filters match, in the list's order, for a file (at most
    EXPORT_MAX_ROWS: a larger list is refused, to be narrowed by region or status)."""
    query = filtered(principal, where)
    if count_of(session, principal, where) > EXPORT_MAX_ROWS:
        raise Problem(
            422,
            Said(
                f"符合条件的贷款超过 {EXPORT_MAX_ROWS:,} 笔，请按地区或状态缩小范围后导出",
                f"More than {EXPORT_MAX_ROWS:,} loans match; narrow by region or status to"
                " export them",
            ),
            slug="too-many-rows",
        )
    ordered = keyset_page(query, sort, SORTS, Loan.id, None, EXPORT_MAX_ROWS)
    yield from session.scalars(ordered.execution_options(yield_per=2_000))


def alerts(loan: Loan, as_of: date | None, roster: RosterStatus | None) -> list[str]:
    """What an officer should act on, each citing its clause."""
    found = []
    if loan.misuse_since is not None:
        found.append(
            f"4.2 misuse ({loan.misuse_finding}) since {loan.misuse_since}: misuse"
            " rate applies and renewal is blocked until corrected"
        )
    if roster is not None and roster not in LISTED and loan.status == LoanStatus.active:
        found.append(
            "4.2 the borrower has left the roster: the loan runs to maturity"
            " unchanged; further credit is an ordinary farmer loan (农户贷款)"
        )
    if loan.status == LoanStatus.active and as_of is not None and loan.value_date is not None:
        due = next_visit_due(
            loan.last_visit_on, loan.value_date, get_settings().monitoring_visit_interval_days
        )
        if due <= as_of:
            found.append(f"4.2 post-loan visit due since {due}")
    if loan.restructured_on is not None:
        found.append(
            f"3.1 restructured on {loan.restructured_on}: class at least"
            f" {loan.restructure_floor} through the observation period ending"
            f" {loan.observation_end}"
        )
    return found


def worsen_risk_class(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.RiskClassIn
) -> tuple[Loan, Decision | None]:
    """Set the class worse at once, or, for doubtful or loss beyond what the days past due give,
    ask a second risk manager (3.1): the loan and the request, if one was made."""
    loan = get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.active:
        raise loan_is(
            loan.status, Said("只对在贷贷款进行风险分类", "only an active loan is classified")
        )
    calendar.lock_region_shared(session, loan.region_code)
    current = RiskClass(loan.risk_class)
    refuse_unless_passed(check_class_change(body.risk_class, current))
    refuse_unless_passed(
        check_override_evidence(body.risk_class, loan.days_past_due, body.evidence)
    )
    if not override_needs_a_decision(body.risk_class, loan.days_past_due):
        _override(session, principal, loan, body.risk_class, body.reason, body.evidence)
        return loan, None
    if session.scalar(
        select(Decision.id).where(
            Decision.loan_id == loan.id,
            Decision.kind == DecisionKind.class_override.value,
            Decision.status == DecisionStatus.pending.value,
        )
    ):
        raise conflict(
            Said("该贷款已有待审批的分类调整", "A class override of this loan awaits a decision"),
            slug="duplicate",
        )
    request = decisions.ask(
        session,
        principal,
        DecisionKind.class_override,
        uuid.uuid4(),  # the request is its own subject: nothing changes until it is approved
        asked_state=_class_state(loan),
        region_code=loan.region_code,
        loan_id=loan.id,
        reason=body.reason,
        summary={
            "risk_class": body.risk_class.value,
            "from": current.value,
            "evidence": body.evidence,
            "days_past_due": loan.days_past_due,
        },
    )
    return loan, request


def _override(
    session: Session,
    principal: Principal,
    loan: Loan,
    to: RiskClass,
    reason: str | None,
    evidence: list[str],
) -> None:
    before = loan.risk_class
    lifecycle.override_class(session, loan, to, clock.today(session, loan.region_code))
    session.flush()
    audit.record(
        session,
        principal,
        "loan.risk_class_override",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before={"risk_class": before},
        after={"risk_class": to.value, "reason": reason, "evidence": evidence},
    )


def _class_state(loan: Loan) -> str:
    return f"{loan.status}, {loan.risk_class}"


def _class_state_now(session: Session, decision: Decision) -> str:
    loan = session.get(Loan, decision.loan_id, with_for_update=True, populate_existing=True)
    assert loan is not None
    return _class_state(loan)


def _approve_override(
    session: Session, principal: Principal, decision: Decision, _body: object
) -> None:
    loan = session.get(Loan, decision.loan_id)
    assert loan is not None
    calendar.lock_region_shared(session, loan.region_code)
    _override(
        session,
        principal,
        loan,
        RiskClass(decision.summary["risk_class"]),
        decision.reason,
        list(decision.summary["evidence"]),
    )


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.class_override,
        requesters=frozenset({Role.risk_manager}),
        deciders=frozenset({Role.risk_manager}),
        state=_class_state_now,
        approve=_approve_override,  # declined or withdrawn: the class was never changed
    )
)
