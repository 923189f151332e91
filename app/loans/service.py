"""Loans: disbursement through core banking (outbox), confirmation, and the loan's views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, String, cast, literal, select, update
from sqlalchemy.orm import Session

from app.applications import facts
from app.applications.service import refuse_if_suspended
from app.audit import service as audit
from app.core.auth import Principal
from app.core.clock import SHANGHAI
from app.core.pagination import decode_cursor, encode_cursor
from app.core.problems import Problem, conflict, not_found
from app.core.scoping import get_scoped, readable
from app.core.settings import get_settings
from app.domain import schedule, subsidy
from app.domain.classification import RiskClass, check_class_change
from app.domain.eligibility import LISTED, RosterStatus
from app.domain.loan_status import InvalidTransitionError, LoanStatus
from app.domain.monitoring import next_visit_due
from app.domain.policy import RepaymentMethod
from app.households import service as households
from app.households.models import Household
from app.integrations.models import OutboxMessage
from app.integrations.outbox import SEALED, seal
from app.jobs import calendar
from app.loans import schemas
from app.loans.models import Disbursement, Instalment, Loan
from app.policy.service import refuse_unless_passed
from app.servicing.models import RiskClassChange

DISBURSEMENT_KIND = "core.disbursement"


def move(loan: Loan, to: LoanStatus) -> None:
    """A loan's status changes only along LoanStatus's transitions (app/domain/loan_status.py);
    anything else is a bug, answered 409 rather than written."""
    current = LoanStatus(loan.status)
    if not current.may_become(to):
        raise InvalidTransitionError(f"A {current.value} loan cannot become {to.value}")
    loan.status = to


def terms_of(loan: Loan, due_date: date | None = None) -> subsidy.SubsidyTerms:
    """The subsidy terms fixed on the contract (never recomputed: clause 5.2), or for an
    instalment due in a legacy loan's extension period, the 2026 terms of the extension."""
    if (
        due_date is not None
        and loan.extension_from is not None
        and due_date > loan.extension_from
        and loan.extension_central_rate is not None
        and loan.extension_local_rate is not None
        and loan.extension_subsidised_principal is not None
    ):
        return subsidy.SubsidyTerms(
            annual_rate=loan.annual_rate,
            central_rate=loan.extension_central_rate,
            local_rate=loan.extension_local_rate,
            principal=loan.principal,
            subsidised_principal=loan.extension_subsidised_principal,
            local_subsidised_principal=loan.extension_local_subsidised_principal,
        )
    return subsidy.SubsidyTerms(
        annual_rate=loan.annual_rate,
        central_rate=loan.central_subsidy_rate,
        local_rate=loan.local_subsidy_rate,
        principal=loan.principal,
        subsidised_principal=loan.subsidised_principal,
        local_subsidised_principal=loan.local_subsidised_principal,
    )


def get(
    session: Session, principal: Principal, loan_id: uuid.UUID, *, for_update: bool = False
) -> Loan:
    return get_scoped(session, Loan, loan_id, principal, "Loan", for_update=for_update)


def request_disbursement(
    session: Session, principal: Principal, loan_id: uuid.UUID
) -> Disbursement:
    """Record the request and the instruction to core banking in one transaction."""
    loan = get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.contracted:
        raise conflict(
            f"The loan is {loan.status}; only a contracted loan is disbursed",
            slug="invalid-transition",
        )
    state = facts.load(session, loan.household_id)
    assert state is not None
    refuse_if_suspended(state, loan.borrower_member_id, state.business_date)
    household = session.get(Household, loan.household_id)
    assert household is not None
    disbursement = Disbursement(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        amount=loan.principal,
        status="requested",
        requested_by=principal.subject,
    )
    session.add(disbursement)
    session.add(
        OutboxMessage(
            kind=DISBURSEMENT_KIND,
            idempotency_key=instruction_key(disbursement.id),
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
    move(loan, LoanStatus.disbursing)
    session.flush()
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


def confirm_disbursement(
    session: Session, principal: Principal, disbursement_id: uuid.UUID, body: schemas.ConfirmationIn
) -> Disbursement:
    """Core banking's answer. Success activates the loan and fixes its schedule from the value
    date; failure returns it to `contracted`. The same confirmation again is harmless."""
    disbursement = session.scalars(
        select(Disbursement)
        .where(Disbursement.id == disbursement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if disbursement is None:
        raise not_found("Disbursement")
    principal.ensure_region(disbursement.region_code, "Disbursement")
    if disbursement.status != "requested":
        if _same_answer(disbursement, body):
            return disbursement
        raise conflict(
            f"The disbursement was already confirmed as {disbursement.status}",
            slug="already-confirmed",
        )
    calendar.lock_region_shared(session, disbursement.region_code)
    loan = session.scalars(
        select(Loan)
        .where(Loan.id == disbursement.loan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    disbursement.confirmed_at = datetime.now(SHANGHAI)
    # Answered: the instruction is no longer sent, whatever its delivery stood at.
    _settle_instruction(session, disbursement.id)
    if body.status == "failed":
        disbursement.status, disbursement.failure_reason = "failed", body.failure_reason
        move(loan, LoanStatus.contracted)
        action = "loan.disbursement_failed"
    else:
        assert body.value_date is not None and body.core_transaction_id is not None
        if body.value_date < loan.signed_on:
            raise conflict("The value date is before the contract was signed")
        # A value date may not run ahead of the county's business date (nor of today for a
        # county with no calendar yet): it would move the county's business date.
        current = calendar.business_date(session, loan.region_code)
        if body.value_date > current:
            raise conflict(
                f"The value date {body.value_date} is after the county's business date {current}",
                slug="future-value-date",
            )
        opened = calendar.ensure_open_from(session, loan.region_code, body.value_date)
        if body.value_date < opened:
            raise conflict(
                f"The value date {body.value_date} is a closed business day;"
                f" the region's open date is {opened}",
                slug="closed-business-day",
            )
        disbursement.status = "succeeded"
        disbursement.core_transaction_id = body.core_transaction_id
        disbursement.value_date = body.value_date
        activate(session, loan, body.value_date)
        action = "loan.disbursed"
    session.flush()
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


def _settle_instruction(session: Session, disbursement_id: uuid.UUID) -> None:
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key == instruction_key(disbursement_id),
            OutboxMessage.status == "pending",
        )
        .values(status="settled", payload=OutboxMessage.payload.op("-")(literal(SEALED, String)))
    )


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
    return _state(disbursement, message)


def current_disbursement(
    session: Session, loan_id: uuid.UUID
) -> schemas.DisbursementStateOut | None:
    """The loan's latest disbursement, as the loan view shows it."""
    found = session.execute(
        _with_instruction()
        .where(Disbursement.loan_id == loan_id)
        .order_by(Disbursement.created_at.desc(), Disbursement.id)
        .limit(1)
    ).one_or_none()
    return _state(*found) if found is not None else None


def disbursements_of(
    session: Session, principal: Principal, loan_id: uuid.UUID
) -> list[schemas.DisbursementStateOut]:
    loan = get(session, principal, loan_id)
    rows = session.execute(
        _with_instruction()
        .where(Disbursement.loan_id == loan.id)
        .order_by(Disbursement.created_at.desc(), Disbursement.id)
    )
    return [_state(d, m) for d, m in rows]


def _state(
    disbursement: Disbursement, message: OutboxMessage | None
) -> schemas.DisbursementStateOut:
    return schemas.DisbursementStateOut(
        **schemas.DisbursementOut.model_validate(disbursement).model_dump(),
        requested_by=disbursement.requested_by,
        delivery_status=message.status if message else None,
        delivery_attempts=message.attempts if message else 0,
        last_error=message.last_error if message else None,
    )


def _same_answer(disbursement: Disbursement, body: schemas.ConfirmationIn) -> bool:
    if body.status == "failed":
        return disbursement.status == "failed"
    return (
        disbursement.status == "succeeded"
        and disbursement.core_transaction_id == body.core_transaction_id
        and disbursement.value_date == body.value_date
    )


def activate(session: Session, loan: Loan, value_date: date) -> None:
    """Fix the schedule from the value date and make the loan active."""
    plan = schedule.build(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        RepaymentMethod(loan.repayment_method),
        value_date,
    )
    terms = terms_of(loan)
    for row in plan.installments:
        shares = subsidy.shares(row.interest, terms)
        session.add(
            Instalment(
                loan_id=loan.id,
                number=row.number,
                period_start=row.period_start,
                due_date=row.due_date,
                principal_due=row.principal,
                interest_due=row.interest,
                prepaid_interest=Decimal(0),
                central_share=shares.central,
                local_share=shares.local,
                accrual_start=row.period_start,
                accrued_interest_before=Decimal(0),
                accrued_central_before=Decimal(0),
                accrued_local_before=Decimal(0),
                principal_paid=Decimal(0),
                interest_paid=Decimal(0),
            )
        )
    move(loan, LoanStatus.active)
    loan.value_date = value_date
    loan.maturity_date = plan.maturity_date
    loan.principal_outstanding = loan.principal
    loan.current_instalment = 1
    loan.current_due_date = plan.installments[0].due_date


def instalments(session: Session, loan_id: uuid.UUID) -> list[Instalment]:
    return list(
        session.scalars(
            select(Instalment).where(Instalment.loan_id == loan_id).order_by(Instalment.number)
        )
    )


@dataclass(frozen=True)
class Position:
    """What is owed on the loan's open business date."""

    as_of: date | None
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty: Decimal
    next_due_date: date | None


def position(session: Session, loan: Loan) -> Position:
    as_of = calendar.open_date(session, loan.region_code)
    return Position(
        as_of,
        loan.overdue_principal,
        loan.overdue_interest,
        loan.penalty_outstanding,
        loan.current_due_date,
    )


def list_page(
    session: Session,
    principal: Principal,
    *,
    status: LoanStatus | None,
    region: str | None,
    risk_class: str | None,
    cursor: str | None,
    limit: int,
    external_ref: str | None = None,
    core_transaction_id: str | None = None,
) -> tuple[list[Loan], str | None]:
    query = select(Loan).order_by(Loan.id).limit(limit)
    if status is not None:
        query = query.where(Loan.status == status)
    if external_ref is not None:
        query = query.where(Loan.external_ref == external_ref)
    if core_transaction_id is not None:
        # the loan whose disbursement core banking booked under this reference
        query = query.where(
            Loan.id.in_(
                select(Disbursement.loan_id).where(
                    Disbursement.core_transaction_id == core_transaction_id
                )
            )
        )
    if risk_class is not None:
        query = query.where(Loan.risk_class == risk_class)
    if region is not None:
        query = query.where(Loan.region_code.startswith(region, autoescape=True))
    query = readable(query, principal, Loan.region_code)
    if cursor is not None:
        try:
            after = uuid.UUID(str(decode_cursor(cursor).get("id")))
        except ValueError as exc:
            raise Problem(422, "The cursor is not valid", slug="validation-error") from exc
        query = query.where(Loan.id > after)
    items = list(session.scalars(query))
    next_cursor = encode_cursor({"id": str(items[-1].id)}) if len(items) == limit else None
    return items, next_cursor


def borrower_roster_status(session: Session, loan: Loan) -> RosterStatus:
    return households.roster_status(
        session, loan.household_id, calendar.business_date(session, loan.region_code)
    )


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
) -> Loan:
    loan = get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.active:
        raise conflict(
            f"The loan is {loan.status}; only an active loan is classified",
            slug="invalid-transition",
        )
    calendar.lock_region_shared(session, loan.region_code)
    current = RiskClass(loan.risk_class)
    refuse_unless_passed(check_class_change(body.risk_class, current))
    day = calendar.business_date(session, loan.region_code)
    loan.risk_class_override = body.risk_class.value
    if body.risk_class is not current:
        session.add(
            RiskClassChange(
                loan_id=loan.id,
                business_date=day,
                from_class=current.value,
                to_class=body.risk_class.value,
                days_past_due=loan.days_past_due,
                reason="override",
            )
        )
        loan.risk_class = body.risk_class.value
    session.flush()
    audit.record(
        session,
        principal,
        "loan.risk_class_override",
        "loan",
        loan.id,
        region_code=loan.region_code,
        before={"risk_class": current.value},
        after={"risk_class": body.risk_class.value, "reason": body.reason},
    )
    return loan
