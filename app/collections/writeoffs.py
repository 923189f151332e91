"""Write-off and recovery (2.1 核销, 账销案存): a loss-class loan, or one whose collection is
exhausted, is proposed with its evidence; a second person decides; approved, the loan leaves
the balance sheet (status `written_off`: the batch, the portfolio and the NPL figures serve
active loans) and keeps its claim, against which core banking posts recoveries."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.collections import schemas
from app.collections.models import CollectionAction, CollectionCase, WriteOff
from app.core import clock
from app.core.auth import Principal, Role
from app.core.i18n import Said
from app.core.problems import conflict, not_found
from app.core.scoping import readable
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain.collections import (
    CloseReason,
    CollectionActionKind,
    WriteOffGrounds,
    write_off_rules,
)
from app.domain.decisions import DecisionKind
from app.domain.labels import labelled
from app.domain.loan_status import LoanStatus
from app.domain.rules import failures
from app.loans import lifecycle
from app.loans import service as loans
from app.loans.models import Loan, LoanRecovery
from app.policy.service import rule_failures


def _live(session: Session, loan_id: uuid.UUID) -> WriteOff | None:
    return session.scalar(
        select(WriteOff).where(
            WriteOff.loan_id == loan_id, WriteOff.status.in_(("proposed", "approved"))
        )
    )


def out(session: Session, row: WriteOff) -> schemas.WriteOffOut:
    recoveries = list(
        session.scalars(
            select(LoanRecovery)
            .where(LoanRecovery.write_off_id == row.id)
            .order_by(LoanRecovery.value_date, LoanRecovery.created_at)
        )
    )
    asked = row.decision
    assert asked is not None  # every write-off is proposed through the decision mechanism
    claim = row.claim
    recovered = sum((r.amount for r in recoveries), Decimal("0.00"))
    return schemas.WriteOffOut(
        id=row.id,
        loan_id=row.loan_id,
        region_code=row.region_code,
        grounds=WriteOffGrounds(row.grounds),
        reason=row.reason,
        evidence=row.evidence,
        status=row.status,
        proposed_by=asked.requested_by,
        proposed_at=asked.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        written_off_on=row.written_off_on,
        principal=row.principal,
        interest=row.interest,
        penalty=row.penalty,
        claim=claim,
        recovered=recovered,
        remaining=None if claim is None else claim - recovered,
        recoveries=[schemas.RecoveryOut.model_validate(r) for r in recoveries],
    )


def propose(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.WriteOffIn
) -> WriteOff:
    loan = loans.get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.active:
        raise conflict(
            Said(
                f"{labelled('LoanStatus', loan.status)}的贷款不能核销",
                f"A {loan.status} loan is not written off",
            ),
            slug="not-active",
        )
    if _live(session, loan.id) is not None:
        raise conflict(
            Said(
                "该贷款已有提交或批准的核销",
                "The loan already has a write-off proposed or approved",
            ),
            slug="duplicate",
        )
    _refuse_unless_grounds_hold(session, loan, WriteOffGrounds(body.grounds), body.evidence)
    row = WriteOff(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        grounds=body.grounds,
        reason=body.reason,
        evidence=body.evidence,
        status="proposed",
    )
    session.add(row)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind.write_off,
        row.id,
        asked_state=loan.status,
        region_code=loan.region_code,
        loan_id=loan.id,
        reason=body.reason,
        summary={"grounds": body.grounds, "evidence": body.evidence},
    )
    audit.record(
        session,
        principal,
        "write_off.proposed",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={"grounds": body.grounds, "evidence": body.evidence, "write_off_id": str(row.id)},
    )
    return row


def _refuse_unless_grounds_hold(
    session: Session, loan: Loan, grounds: WriteOffGrounds, evidence: list[str]
) -> None:
    """2.1's grounds, judged when proposed and again when approved (the loan may have been
    repaid, or its class changed, in between)."""
    actions = list(
        session.scalars(
            select(CollectionAction.kind)
            .join(CollectionCase, CollectionCase.id == CollectionAction.case_id)
            .where(CollectionCase.loan_id == loan.id)
        )
    )
    settings = get_settings()
    results = write_off_rules(
        grounds,
        risk_class=loan.risk_class,
        days_past_due=loan.days_past_due,
        actions=[CollectionActionKind(a) for a in actions],
        evidence=evidence,
        min_days_past_due=settings.write_off_min_days_past_due,
        min_actions=settings.write_off_min_actions,
    )
    failed = failures(results)
    if failed:
        raise conflict(
            Said(
                "该贷款不符合核销条件（2.1）",
                "The loan does not meet the grounds for write-off (2.1)",
            ),
            rules=rule_failures(failed),
            slug="write-off-refused",
        )


def get(session: Session, principal: Principal, write_off_id: uuid.UUID) -> WriteOff:
    row = session.get(WriteOff, write_off_id)
    if row is None or not principal.sees_region(row.region_code):
        raise not_found("Write-off")
    return row


def of_loan(session: Session, principal: Principal, loan_id: uuid.UUID) -> list[WriteOff]:
    loan = loans.get(session, principal, loan_id)
    return list(
        session.scalars(
            select(WriteOff).where(WriteOff.loan_id == loan.id).order_by(WriteOff.id.desc())
        )
    )


def listed(session: Session, principal: Principal, status: str | None) -> list[WriteOff]:
    query = (
        select(WriteOff)
        .join(Decision, (Decision.subject_id == WriteOff.id) & (Decision.kind == "write_off"))
        .order_by(Decision.requested_at.desc())
        .limit(500)
    )
    if status is not None:
        query = query.where(WriteOff.status == status)
    return list(session.scalars(readable(query, principal, WriteOff.region_code)))


def decide(
    session: Session,
    principal: Principal,
    write_off_id: uuid.UUID,
    body: schemas.WriteOffDecisionIn,
) -> WriteOff:
    row = get(session, principal, write_off_id)
    decisions.decide_subject(
        session,
        principal,
        DecisionKind.write_off,
        row.id,
        approve=body.outcome == "approve",
        note=body.note,
        body=body,
    )
    session.refresh(row)
    return row


def _approve(session: Session, principal: Principal, decision: Decision, _body: object) -> None:
    row = session.get(WriteOff, decision.subject_id, with_for_update=True)
    loan = session.get(Loan, decision.loan_id)
    assert row is not None and loan is not None
    _refuse_unless_grounds_hold(session, loan, WriteOffGrounds(row.grounds), row.evidence)
    day = clock.today(session, loan.region_code)
    amounts = lifecycle.write_off(session, loan, day)
    row.status = "approved"
    row.written_off_on = day
    row.principal, row.interest, row.penalty = amounts.principal, amounts.interest, amounts.penalty
    # its collection case ends here (the batch would close it tonight)
    session.execute(
        update(CollectionCase)
        .where(CollectionCase.loan_id == loan.id, CollectionCase.closed_on.is_(None))
        .values(closed_on=day, close_reason=CloseReason.written_off)
    )
    audit.record(
        session,
        principal,
        "write_off.approved",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "write_off_id": str(row.id),
            "principal": str(row.principal),
            "interest": str(row.interest),
            "penalty": str(row.penalty),
        },
    )


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.write_off,
        requesters=frozenset({Role.loan_officer, Role.risk_manager}),
        deciders=frozenset({Role.risk_manager, Role.admin}),
        state=decisions.status_of(Loan, decisions.the_loan),
        approve=_approve,
        settle=decisions.mirror_status(WriteOff),
    )
)


def recover(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.RecoveryIn
) -> tuple[WriteOff, bool]:
    """Post a recovery; the same transaction id again answers as the first time (False)."""
    loan = loans.get(session, principal, loan_id, for_update=True)
    seen = session.scalar(
        select(LoanRecovery).where(LoanRecovery.core_transaction_id == body.core_transaction_id)
    )
    if seen is not None:
        if (seen.loan_id, seen.amount, seen.value_date) != (
            loan.id,
            body.amount,
            body.value_date,
        ):
            raise conflict(
                Said(
                    "该交易号已按不同内容入账", "That transaction id was posted with other details"
                ),
                slug="transaction-reused",
            )
        row = session.get(WriteOff, seen.write_off_id)
        assert row is not None
        return row, False
    row = session.scalar(
        select(WriteOff).where(WriteOff.loan_id == loan.id, WriteOff.status == "approved")
    )
    claim = row.claim if row is not None else None
    if row is None or claim is None:
        raise conflict(
            Said("该贷款尚未核销", "The loan has not been written off"), slug="not-written-off"
        )
    calendar.refuse_unless_recent(
        session,
        loan.region_code,
        body.value_date,
        Said("收回起息日", "recovery's value date"),
        earliest=row.written_off_on,
    )
    _, remaining = lifecycle.record_recovery(
        session,
        loan,
        write_off_id=row.id,
        claim=claim,
        core_transaction_id=body.core_transaction_id,
        amount=body.amount,
        value_date=body.value_date,
        posted_by=principal.subject,
    )
    audit.record(
        session,
        principal,
        "write_off.recovery",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "amount": str(body.amount),
            "core_transaction_id": body.core_transaction_id,
            "remaining": str(remaining),
        },
    )
    session.flush()
    return row, True
