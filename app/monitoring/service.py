"""Post-loan monitoring visits (clause 4.2)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal, Role
from app.core.i18n import Said
from app.core.problems import conflict, loan_is
from app.core.scoping import readable, within
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain.decisions import DecisionKind
from app.domain.loan_status import LoanStatus
from app.domain.monitoring import FundUse, is_misuse
from app.loans import lifecycle
from app.loans import service as loans
from app.loans.models import Loan
from app.monitoring import schemas
from app.monitoring.models import MonitoringVisit


def record(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.VisitIn
) -> MonitoringVisit:
    loan = loans.get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.active:
        raise loan_is(
            loan.status, Said("只对在贷贷款记录贷后走访", "visits are recorded on active loans")
        )
    assert loan.value_date is not None
    calendar.refuse_unless_recent(
        session,
        loan.region_code,
        body.visited_on,
        Said("走访日期", "visit date"),
        earliest=loan.value_date,
    )
    if body.corrects_misuse and (
        body.finding is not FundUse.as_declared or loan.misuse_since is None
    ):
        raise conflict(
            Said(
                "只有结论为按约定用途使用（as_declared）的走访才能纠正已记录的挪用",
                "Only an as_declared visit corrects a recorded misuse",
            )
        )
    visit = MonitoringVisit(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        visited_on=body.visited_on,
        finding=body.finding.value,
        misused_amount=body.misused_amount,
        corrects_misuse=body.corrects_misuse,
        notes=body.notes,
        follow_up=body.follow_up,
        recorded_by=principal.subject,
    )
    session.add(visit)
    before = {"misuse_since": str(loan.misuse_since) if loan.misuse_since else None}
    if is_misuse(body.finding) and loan.misuse_since is None:
        lifecycle.find_misuse(
            session,
            loan,
            visited_on=body.visited_on,
            open_date=clock.open_date(session, loan.region_code) or body.visited_on,
            finding=body.finding.value,
            amount=body.misused_amount,
        )
    lifecycle.record_visit(loan, body.visited_on)
    session.flush()
    if body.corrects_misuse:
        # the correction stands once someone who had no part in the loan confirms it
        _ask_correction(session, principal, loan, visit)
    audit.record(
        session,
        principal,
        "loan.monitoring_visit",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before=before,
        after={
            "finding": body.finding.value,
            "visit_id": str(visit.id),
            "misuse_since": str(loan.misuse_since) if loan.misuse_since else None,
        },
    )
    return visit


def _ask_correction(
    session: Session, principal: Principal, loan: Loan, visit: MonitoringVisit
) -> None:
    waiting = session.scalar(
        select(Decision.id).where(
            Decision.loan_id == loan.id,
            Decision.kind == DecisionKind.misuse_correction.value,
            Decision.status == "pending",
        )
    )
    if waiting is not None:
        raise conflict(
            Said(
                "该贷款已有待确认的挪用整改", "A misuse correction of this loan awaits a decision"
            ),
            slug="duplicate",
        )
    decisions.ask(
        session,
        principal,
        DecisionKind.misuse_correction,
        visit.id,
        asked_state=_misuse_state(loan),
        region_code=loan.region_code,
        loan_id=loan.id,
        reason=visit.notes,
        summary={"visited_on": str(visit.visited_on), "misuse_since": str(loan.misuse_since)},
    )


def _misuse_state(loan: Loan) -> str:
    return f"misuse since {loan.misuse_since}" if loan.misuse_since else "no misuse"


def _correction_state(session: Session, decision: Decision) -> str:
    loan = session.get(Loan, decision.loan_id, with_for_update=True, populate_existing=True)
    assert loan is not None
    return _misuse_state(loan) if loan.status == LoanStatus.active else loan.status


def _approve_correction(
    session: Session, principal: Principal, decision: Decision, _body: object
) -> None:
    loan = session.get(Loan, decision.loan_id)
    assert loan is not None
    before = str(loan.misuse_since)
    lifecycle.correct_misuse(loan)
    audit.record(
        session,
        principal,
        "loan.misuse_corrected",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before={"misuse_since": before},
        after={"misuse_since": None, "visit_id": str(decision.subject_id)},
    )


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.misuse_correction,
        requesters=frozenset({Role.loan_officer}),
        deciders=frozenset({Role.risk_manager, Role.credit_reviewer}),
        state=_correction_state,
        approve=_approve_correction,  # declined or withdrawn: the misuse stays recorded
    )
)


def visits(session: Session, loan_id: uuid.UUID) -> list[MonitoringVisit]:
    return list(
        session.scalars(
            select(MonitoringVisit)
            .where(MonitoringVisit.loan_id == loan_id)
            .order_by(MonitoringVisit.visited_on)
        )
    )


def due_for_visit(
    session: Session,
    principal: Principal,
    as_of: date,
    interval_days: int,
    region: str | None,
    limit: int,
) -> list[tuple[Loan, date]]:
    """Active loans not visited within the interval (counted from the disbursement if never)."""
    last = func.coalesce(Loan.last_visit_on, Loan.value_date)
    query = (
        select(Loan)
        .where(Loan.status == LoanStatus.active, last <= as_of - timedelta(days=interval_days))
        .order_by(last, Loan.id)
        .limit(limit)
    )
    if region is not None:
        query = query.where(within(Loan.region_code, region))
    query = readable(query, principal, Loan.region_code)
    return [
        (loan, (loan.last_visit_on or loan.value_date or as_of) + timedelta(days=interval_days))
        for loan in session.scalars(query)
    ]
