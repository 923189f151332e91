"""Repayments posted by core banking, their reversals (冲正) and a loan's repayment history.

The service checks what the request may do (scope, the open business date, a repeated
transaction id) and asks the loan's owner (app/loans/lifecycle/) to allocate or undo."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal
from app.core.i18n import Said
from app.core.metrics import REPAYMENTS
from app.core.problems import already_decided, conflict, loan_is, not_found
from app.core.scoping import get_scoped, readable
from app.domain import repayment as allocation
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.domain.rules import rule
from app.loans import lifecycle
from app.loans import service as loans
from app.loans.models import Loan, Repayment
from app.regions import service as regions
from app.servicing import schemas
from app.servicing.models import ReversalCase


def post(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.RepaymentIn
) -> tuple[Repayment, bool]:
    """The repayment and whether it was new. The same core transaction again returns the
    first result and posts nothing. Scope first: a loan, or a repeated transaction's loan,
    outside the caller's regions does not exist for them (404)."""
    loan = loans.get(session, principal, loan_id)
    previous = _entered(session, principal, body.core_transaction_id)
    if previous is not None:
        REPAYMENTS.labels("replayed").inc()
        return _replay(previous, loan_id, body), False
    calendar.lock_region_shared(session, loan.region_code)
    loan = loans.get(session, principal, loan_id, for_update=True)
    # Postings on a loan are serialised by its row lock: a repeat that raced the first one
    # sees it now, and answers with it.
    previous = _entered(session, principal, body.core_transaction_id)
    if previous is not None:
        return _replay(previous, loan_id, body), False
    if loan.status != LoanStatus.active:
        raise loan_is(
            loan.status, Said("只对在贷贷款入账还款", "repayments are posted on active loans")
        )
    open_date = clock.open_date(session, loan.region_code)
    if body.value_date != open_date:
        raise conflict(
            Said(
                f"还款应按该地区当前营业日 {open_date} 入账",
                f"Repayments are posted on the region's open business date {open_date}",
            ),
            slug="closed-business-day",
        )
    try:
        posted = lifecycle.apply_repayment(
            session,
            loan,
            amount=body.amount,
            day=body.value_date,
            transaction_id=body.core_transaction_id,
            posted_by=principal.subject,
        )
    except allocation.OverpaymentError as exc:
        REPAYMENTS.labels("refused").inc()
        raise conflict(
            Said(
                f"还款金额 {body.amount} 超过全部应还金额（{exc.owed}），未入账",
                f"The amount {body.amount} exceeds everything owed ({exc.owed}); nothing posted",
            ),
            [
                rule(
                    "no_overpayment",
                    "",
                    False,
                    f"还款不得超过全部应还金额 {exc.owed}",
                    str(exc),
                )
            ],
            slug="overpayment",
        ) from exc
    session.flush()
    REPAYMENTS.labels("posted").inc()
    audit.record(
        session,
        principal,
        "loan.repayment",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "repayment_id": str(posted.id),
            "amount": str(body.amount),
            "principal_outstanding": str(loan.principal_outstanding),
            "status": loan.status,
        },
    )
    return posted, True


def reverse(
    session: Session,
    principal: Principal,
    loan_id: uuid.UUID,
    transaction_id: str,
    body: schemas.ReversalIn,
) -> tuple[Repayment | ReversalCase, bool]:
    """Core banking reverses the posting it made under `transaction_id`. The reversal (or, for
    a pay-off whose loan cannot reopen, the case kept for a person) and whether it was new: the
    same reversal again returns the first result."""
    loan = loans.get(session, principal, loan_id)
    calendar.lock_region_shared(session, loan.region_code)
    loan = loans.get(session, principal, loan_id, for_update=True)
    posting = _entered(session, principal, transaction_id)
    if posting is None or posting.loan_id != loan.id:
        raise not_found("Repayment")
    if posting.kind == schemas.RepaymentKind.reversal:
        raise conflict(
            Said("冲正交易本身不能再冲正", "A reversal cannot itself be reversed"),
            slug="reversal-of-reversal",
        )
    earlier = _earlier_reversal(session, principal, posting, body)
    if earlier is not None:
        return earlier, False
    day = clock.today(session, loan.region_code)
    before = {"status": loan.status, "principal_outstanding": str(loan.principal_outstanding)}
    # a state the reversal does not allow rises as LifecycleError: 409 with its slug
    try:
        with session.begin_nested():
            reversal = lifecycle.reverse_repayment(
                session,
                loan,
                posting,
                day=day,
                transaction_id=body.reversal_transaction_id,
                reversed_by=principal.subject,
                reason=body.reason,
                subsidise_overdue_days=regions.subsidises_overdue_days(session, loan.region_code),
            )
            session.flush()
    except IntegrityError as exc:
        if "one_outstanding_per" not in str(exc.orig):
            raise
        # the paid-off loan cannot reopen: the household borrowed again (1.1). Core banking's
        # reversal happened all the same: kept for a person, never lost.
        return _keep_for_a_person(session, principal, loan, posting, body), True
    REPAYMENTS.labels("reversed").inc()
    audit.record(
        session,
        principal,
        "loan.repayment_reversal",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before=before,
        after={
            "repayment_id": str(posting.id),
            "reversal_id": str(reversal.id),
            "reason": body.reason,
            "status": loan.status,
            "principal_outstanding": str(loan.principal_outstanding),
            "days_past_due": loan.days_past_due,
            "risk_class": loan.risk_class,
        },
    )
    return reversal, True


def _earlier_reversal(
    session: Session, principal: Principal, posting: Repayment, body: schemas.ReversalIn
) -> Repayment | ReversalCase | None:
    """The same reversal, sent before (its first result), or None for a new one; 409 for a
    posting reversed by another transaction, or a transaction id used for another one."""
    done = session.scalar(select(Repayment).where(Repayment.reverses_id == posting.id))
    if done is not None:
        if done.core_transaction_id == body.reversal_transaction_id:
            return done
        raise conflict(
            Said(
                f"该笔还款已由 {done.core_transaction_id} 冲正",
                f"This repayment was already reversed by {done.core_transaction_id}",
            ),
            slug="already-reversed",
        )
    kept = session.scalar(
        select(ReversalCase).where(ReversalCase.core_transaction_id == body.reversal_transaction_id)
    )
    if kept is not None and kept.repayment_id == posting.id:
        return kept
    if kept is not None or _entered(session, principal, body.reversal_transaction_id) is not None:
        raise conflict(
            Said(
                "该核心系统交易号已用于另一笔还款",
                "This core transaction id was already entered for another repayment",
            ),
            slug="transaction-id-reused",
        )
    return None


def _keep_for_a_person(
    session: Session,
    principal: Principal,
    loan: Loan,
    posting: Repayment,
    body: schemas.ReversalIn,
) -> ReversalCase:
    case = ReversalCase(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        repayment_id=posting.id,
        core_transaction_id=body.reversal_transaction_id,
        amount=posting.amount,
        reason=body.reason,
        conflict="该户已有新的未结清贷款，原贷款不能重开（1.1）；"
        "The household has borrowed again: the paid-off loan cannot reopen (1.1)",
        received_by=principal.subject,
    )
    session.add(case)
    session.flush()
    REPAYMENTS.labels("reversal_kept").inc()
    audit.record(
        session,
        principal,
        "loan.repayment_reversal_kept",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "repayment_id": str(posting.id),
            "reversal_case_id": str(case.id),
            "core_transaction_id": body.reversal_transaction_id,
            "reason": body.reason,
        },
    )
    return case


def reversal_cases(
    session: Session, principal: Principal, *, open_only: bool
) -> list[ReversalCase]:
    query = select(ReversalCase).order_by(ReversalCase.received_at).limit(500)
    if open_only:
        query = query.where(ReversalCase.settled_at.is_(None))
    return list(session.scalars(readable(query, principal, ReversalCase.region_code)))


def settle_case(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.SettlementIn
) -> ReversalCase:
    case = get_scoped(session, ReversalCase, case_id, principal, "Reversal case", for_update=True)
    if case.settled_at is not None:
        raise conflict(already_decided("settled"), slug="already-settled")
    case.settled_by, case.settled_at = principal.subject, clock.now()
    case.settlement = body.settlement
    audit.record(
        session,
        principal,
        "loan.reversal_case_settled",
        "loan",
        case.loan_id,
        region_code=case.region_code,
        after={"reversal_case_id": str(case.id), "settlement": body.settlement},
    )
    return case


def history(
    session: Session, principal: Principal, loan_id: uuid.UUID
) -> schemas.RepaymentHistoryOut:
    loan = loans.get(session, principal, loan_id)
    reversal = aliased(Repayment)
    rows = session.execute(
        select(Repayment, reversal.id)
        .outerjoin(reversal, reversal.reverses_id == Repayment.id)
        .where(Repayment.loan_id == loan.id)
        .order_by(Repayment.created_at, Repayment.id)
    ).all()
    items = [
        schemas.RepaymentHistoryItem(
            **schemas.RepaymentOut.model_validate(entry).model_dump(), reversed_by_id=undone
        )
        for entry, undone in rows
    ]
    return schemas.RepaymentHistoryOut(
        loan_id=loan.id,
        items=items,
        total_posted=sum((entry.amount for entry, _ in rows), ZERO),
    )


def _entered(session: Session, principal: Principal, transaction_id: str) -> Repayment | None:
    found = session.execute(
        select(Repayment, Loan.region_code)
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(Repayment.core_transaction_id == transaction_id)
    ).one_or_none()
    if found is None:
        return None
    repayment, region_code = found
    principal.ensure_region(region_code, "Loan")
    return repayment


def _replay(previous: Repayment, loan_id: uuid.UUID, body: schemas.RepaymentIn) -> Repayment:
    if (previous.kind, previous.loan_id, previous.amount, previous.value_date) != (
        schemas.RepaymentKind.posting,
        loan_id,
        body.amount,
        body.value_date,
    ):
        raise conflict(
            Said(
                "该核心系统交易号已按不同内容入账",
                "This core transaction id was already posted with other details",
            ),
            slug="transaction-id-reused",
        )
    return previous
