"""Paying a loan out through core banking: the request (with its instruction in the outbox, in
the same transaction), core banking's answer, and re-sending or cancelling an instruction that
got no answer (a loan officer asks, a second person approves). The loan's status moves only
through app/loans/lifecycle/."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal, Role
from app.core.db import get_sessionmaker
from app.core.i18n import Said
from app.core.metrics import DISBURSEMENTS
from app.core.problems import conflict, loan_is, not_found
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.disbursements import schemas
from app.disbursements.models import DisbursementAction
from app.domain.decisions import DecisionKind
from app.domain.labels import labelled
from app.domain.loan_status import LoanStatus
from app.eligibility import facts
from app.households.models import Household
from app.integrations import outbox
from app.integrations.models import OutboxMessage
from app.integrations.outbox import SEALED, seal
from app.loans import lifecycle
from app.loans import service as loans
from app.loans.models import Disbursement, DisbursementStatus, Loan

DISBURSEMENT_KIND = "core.disbursement"
Status = DisbursementStatus


def request(session: Session, principal: Principal, loan_id: uuid.UUID) -> Disbursement:
    """Record the request and the instruction to core banking in one transaction."""
    loan = loans.get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.contracted:
        raise loan_is(
            loan.status, Said("只有已签约的贷款可以放款", "only a contracted loan is disbursed")
        )
    _refuse_if_paid_after_cancel(session, loan.id)
    state = facts.load(session, loan.household_id)
    assert state is not None
    facts.refuse_if_suspended(state, loan.borrower_member_id, state.business_date)
    household = session.get(Household, loan.household_id)
    assert household is not None
    disbursement = Disbursement(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        amount=loan.principal,
        status=Status.requested,
        requested_by=principal.subject,
    )
    session.add(disbursement)
    session.add(
        OutboxMessage(
            kind=DISBURSEMENT_KIND,
            idempotency_key=loans.instruction_key(disbursement.id),
            payload={
                "instruction_id": str(disbursement.id),
                "loan_id": str(loan.id),
                "amount": f"{loan.principal:.2f}",
                "currency": "CNY",
                # The account stays encrypted at rest: the worker opens it to send, and it is
                # dropped from the payload once delivered.
                SEALED: {"account": seal(household.account_encrypted)},
                "callback_url": f"{get_settings().public_base_url}/v1/disbursements/"
                f"{disbursement.id}/confirmation",
            },
        )
    )
    lifecycle.start_disbursing(loan)
    session.flush()
    DISBURSEMENTS.labels("requested").inc()
    audit.record(
        session,
        principal,
        "loan.disbursement_request",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before={"status": LoanStatus.contracted.value},
        after={"status": LoanStatus.disbursing.value, "disbursement_id": str(disbursement.id)},
    )
    return disbursement


def _refuse_if_paid_after_cancel(session: Session, loan_id: uuid.UUID) -> None:
    """Core banking confirmed a payment of a cancelled disbursement: the money may be with the
    borrower already, so no second payout goes until a person has reconciled the first."""
    paid = session.scalar(
        select(Disbursement.id).where(
            Disbursement.loan_id == loan_id,
            Disbursement.reconciliation == "confirmed_after_cancel",
        )
    )
    if paid is not None:
        raise conflict(
            Said(
                "该贷款已撤销的放款被核心系统确认支付，对账前不能再次放款",
                "Core banking paid a cancelled disbursement of this loan; no other disbursement "
                "until it is reconciled",
            ),
            slug="paid-after-cancel",
        )


def confirm(
    session: Session, principal: Principal, disbursement_id: uuid.UUID, body: schemas.ConfirmationIn
) -> Disbursement:
    """Core banking's answer. Success activates the loan and fixes its schedule from the value
    date; failure returns it to `contracted`. The same confirmation again is harmless. An
    answer for a cancelled disbursement is refused and kept for reconciliation."""
    seen = session.scalar(select(Disbursement).where(Disbursement.id == disbursement_id))
    if seen is None:
        raise not_found("Disbursement")
    principal.ensure_region(seen.region_code, "Disbursement")
    if seen.status == Status.cancelled:  # final: no lock needed to know it
        _flag_late_answer(principal, seen, body)
        DISBURSEMENTS.labels("confirmed_after_cancel").inc()
        raise conflict(
            Said(
                "该笔放款已撤销；此次回复已记录备对账",
                "The disbursement was cancelled; the answer is recorded for reconciliation",
            ),
            slug="disbursement-cancelled",
        )
    disbursement = _locked(session, disbursement_id)
    if disbursement.status != Status.requested:
        if _same_answer(disbursement, body):
            return disbursement
        raise conflict(
            Said(
                f"该笔放款已确认为{labelled('DisbursementStatus', disbursement.status)}",
                f"The disbursement was already confirmed as {disbursement.status}",
            ),
            slug="already-confirmed",
        )
    calendar.lock_region_shared(session, disbursement.region_code)
    loan = _locked_loan(session, disbursement.loan_id)
    disbursement.confirmed_at = clock.now()
    # Answered: the instruction is no longer sent, whatever its delivery stood at.
    _stop_instruction(session, disbursement.id, "settled", ("pending",))
    if body.status == "failed":
        disbursement.status, disbursement.failure_reason = Status.failed, body.failure_reason
        lifecycle.return_to_contracted(loan)
        action = "loan.disbursement_failed"
    else:
        _pay_out(session, disbursement, loan, body)
        action = "loan.disbursed"
    session.flush()
    DISBURSEMENTS.labels(disbursement.status).inc()
    audit.record(
        session,
        principal,
        action,
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "status": loan.status,
            "disbursement_id": str(disbursement.id),
            "value_date": str(body.value_date) if body.value_date else None,
        },
    )
    return disbursement


def _pay_out(
    session: Session, disbursement: Disbursement, loan: Loan, body: schemas.ConfirmationIn
) -> None:
    """A successful transfer: its value date checked against the contract and the county's
    calendar (which it starts, for a county's first loan), and the loan activated from it."""
    assert body.value_date is not None and body.core_transaction_id is not None
    if body.value_date < loan.signed_on:
        raise conflict(
            Said("起息日早于合同签订日", "The value date is before the contract was signed")
        )
    # A value date may not run ahead of the county's business date (nor of today for a county
    # with no calendar yet): it would move the county's business date.
    current = clock.today(session, loan.region_code)
    if body.value_date > current:
        raise conflict(
            Said(
                f"起息日 {body.value_date} 晚于该县的营业日 {current}",
                f"The value date {body.value_date} is after the county's business date {current}",
            ),
            slug="future-value-date",
        )
    opened = calendar.ensure_open_from(session, loan.region_code, body.value_date)
    if body.value_date < opened:
        raise conflict(
            Said(
                f"起息日 {body.value_date} 所在营业日已关闭；该地区当前营业日为 {opened}",
                f"The value date {body.value_date} is a closed business day;"
                f" the region's open date is {opened}",
            ),
            slug="closed-business-day",
        )
    disbursement.status = Status.succeeded
    disbursement.core_transaction_id = body.core_transaction_id
    disbursement.value_date = body.value_date
    lifecycle.activate(session, loan, body.value_date)


def _locked(session: Session, disbursement_id: uuid.UUID) -> Disbursement:
    return session.scalars(
        select(Disbursement)
        .where(Disbursement.id == disbursement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _locked_loan(session: Session, loan_id: uuid.UUID) -> Loan:
    return session.scalars(
        select(Loan)
        .where(Loan.id == loan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _same_answer(disbursement: Disbursement, body: schemas.ConfirmationIn) -> bool:
    if body.status == "failed":
        return disbursement.status == Status.failed
    return (
        disbursement.status == Status.succeeded
        and disbursement.core_transaction_id == body.core_transaction_id
        and disbursement.value_date == body.value_date
    )


def _flag_late_answer(
    principal: Principal, disbursement: Disbursement, body: schemas.ConfirmationIn
) -> None:
    """Kept in its own transaction: the request itself is refused (409) and rolls back, but
    the bank must learn that core banking may have paid out a cancelled disbursement."""
    with get_sessionmaker()() as own, own.begin():
        own.execute(
            update(Disbursement)
            .where(Disbursement.id == disbursement.id)
            .values(
                reconciliation="confirmed_after_cancel" if body.status == "succeeded" else None,
                reported_transaction_id=body.core_transaction_id,
                reported_value_date=body.value_date,
            )
        )
        audit.record(
            own,
            principal,
            "loan.disbursement_late_answer",
            "loan",
            disbursement.loan_id,
            region_code=disbursement.region_code,
            after={
                "disbursement_id": str(disbursement.id),
                "status": body.status,
                "core_transaction_id": body.core_transaction_id,
                "value_date": str(body.value_date) if body.value_date else None,
            },
        )


def _stop_instruction(
    session: Session, disbursement_id: uuid.UUID, status: str, from_: tuple[str, ...]
) -> None:
    """The instruction is no longer delivered (its account number is dropped with it)."""
    outbox.stop(session, [loans.instruction_key(disbursement_id)], status, from_)


# --- re-send and cancel (maker-checker) -------------------------------------------------------


def ask(
    session: Session, principal: Principal, disbursement_id: uuid.UUID, body: schemas.ActionIn
) -> DisbursementAction:
    disbursement = _scoped(session, principal, disbursement_id)
    _refuse_unless_unanswered(disbursement)
    pending = session.scalar(
        select(DisbursementAction.id).where(
            DisbursementAction.disbursement_id == disbursement.id,
            DisbursementAction.status == "requested",
        )
    )
    if pending is not None:
        raise conflict(
            Said(
                "该笔放款已有待审批的重发或撤销请求",
                "A re-send or cancellation of this disbursement awaits a decision",
            ),
            slug="action-pending",
        )
    action = DisbursementAction(
        id=uuid.uuid4(),
        disbursement_id=disbursement.id,
        region_code=disbursement.region_code,
        kind=body.kind.value,
        status="requested",
        reason=body.reason,
    )
    session.add(action)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind(f"disbursement_{body.kind.value}"),
        action.id,
        asked_state=disbursement.status,
        region_code=disbursement.region_code,
        loan_id=disbursement.loan_id,
        reason=body.reason,
        summary={"disbursement_id": str(disbursement.id)},
    )
    audit.record(
        session,
        principal,
        f"loan.disbursement_{body.kind.value}_request",
        "loan",
        disbursement.loan_id,
        region_code=disbursement.region_code,
        after={"disbursement_id": str(disbursement.id), "action_id": str(action.id)},
    )
    return action


def decide(
    session: Session,
    principal: Principal,
    disbursement_id: uuid.UUID,
    action_id: uuid.UUID,
    body: schemas.ActionDecisionIn,
) -> DisbursementAction:
    disbursement = _scoped(session, principal, disbursement_id)
    action = session.scalar(
        select(DisbursementAction).where(
            DisbursementAction.id == action_id,
            DisbursementAction.disbursement_id == disbursement.id,
        )
    )
    if action is None:
        raise not_found("Disbursement action")
    kind = DecisionKind(f"disbursement_{action.kind}")
    decisions.decide_subject(
        session,
        principal,
        kind,
        action.id,
        approve=body.outcome == "approve",
        note=body.note,
        body=body,
    )
    session.refresh(action)
    return action


def _action_state(session: Session, decision: Decision) -> str:
    """The disbursement's status now: core banking may have answered since the request."""
    action = session.get(DisbursementAction, decision.subject_id)
    assert action is not None
    return _locked(session, action.disbursement_id).status


def _approve_action(
    session: Session, principal: Principal, decision: Decision, _body: object
) -> None:
    action = session.get(DisbursementAction, decision.subject_id, with_for_update=True)
    assert action is not None
    disbursement = _locked(session, action.disbursement_id)
    _refuse_unless_unanswered(disbursement)
    action.status = "approved"
    after: dict[str, str] = {"disbursement_id": str(disbursement.id), "action_id": str(action.id)}
    if action.kind == schemas.ActionKind.cancel:
        loan = _locked_loan(session, disbursement.loan_id)
        disbursement.status = Status.cancelled
        _stop_instruction(session, disbursement.id, "cancelled", ("pending", "delivered", "failed"))
        lifecycle.return_to_contracted(loan)
        after["status"] = loan.status
    else:
        _send_again(session, disbursement)
    DISBURSEMENTS.labels(
        "cancelled" if action.kind == schemas.ActionKind.cancel else "resent"
    ).inc()
    session.flush()
    audit.record(
        session,
        principal,
        f"loan.disbursement_{action.kind}_approved",
        "loan",
        disbursement.loan_id,
        region_code=disbursement.region_code,
        after=after,
    )


for _kind in (DecisionKind.disbursement_cancel, DecisionKind.disbursement_resend):
    decisions.handles(
        decisions.Handler(
            kind=_kind,
            requesters=frozenset({Role.loan_officer}),
            deciders=frozenset({Role.loan_officer, Role.credit_reviewer}),
            state=_action_state,
            approve=_approve_action,
            settle=decisions.mirror_status(DisbursementAction),
        )
    )


def actions(
    session: Session, principal: Principal, disbursement_id: uuid.UUID
) -> list[DisbursementAction]:
    disbursement = _scoped(session, principal, disbursement_id)
    return list(
        session.scalars(
            select(DisbursementAction)
            .where(DisbursementAction.disbursement_id == disbursement.id)
            .order_by(DisbursementAction.id)
        )
    )


def _scoped(session: Session, principal: Principal, disbursement_id: uuid.UUID) -> Disbursement:
    disbursement = session.get(Disbursement, disbursement_id)
    if disbursement is None:
        raise not_found("Disbursement")
    principal.ensure_region(disbursement.region_code, "Disbursement")
    return disbursement


def _refuse_unless_unanswered(disbursement: Disbursement) -> None:
    if disbursement.status != Status.requested:
        raise conflict(
            Said(
                f"该笔放款当前为{labelled('DisbursementStatus', disbursement.status)}，"
                "只有尚未回复的放款可以重发或撤销",
                f"The disbursement is {disbursement.status}; only an unanswered one is re-sent or"
                " cancelled",
            ),
            slug="already-confirmed",
        )


def _send_again(session: Session, disbursement: Disbursement) -> None:
    """The same instruction, under the same idempotency key (core banking pays it at most
    once), delivered again from now; its account is sealed again from the household."""
    account = session.scalar(
        select(Household.account_encrypted)
        .join(Loan, Loan.household_id == Household.id)
        .where(Loan.id == disbursement.loan_id)
    )
    assert account is not None
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.idempotency_key == loans.instruction_key(disbursement.id))
        .with_for_update()
    ).one()
    message.payload = {**message.payload, SEALED: {"account": seal(account)}}
    message.status, message.next_attempt_at = "pending", func.now()
