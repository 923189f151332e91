"""The owner of a loan's life: the only Python code that writes a loan's status, balances and
instalments, and the entries of its ledger (repayments, accruals, class history).

Feature services load and lock the loan, check what is theirs to check (scope, maker-checker,
eligibility), then ask this module to act with plain values, audit and return (STYLE §3). The
end-of-day batch (app/batch/eod.py) is the one other writer, in set-based SQL built from the same
constants (LoanStatus, the classification thresholds). tests/unit/test_loan_owner.py holds
every other module to this.

What is owed is derived from the instalments (`_settle_position`); a repayment is allocated by
app/domain/repayment.py; a prepayment re-amortises the rest of the schedule over the same term
and moves the current period's accrual basis to the value date, so the ledger stays exact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from app.core.scoping import prefixes_filter
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.domain import repayment as allocation
from app.domain import schedule, subsidy
from app.domain.accrual import accrued_through, daily_detail_from
from app.domain.classification import (
    Restructuring,
    RiskClass,
    carried_by_renewal,
    classify,
    observation_period,
    restructured_floor,
    worst,
)
from app.domain.labels import label
from app.domain.loan_status import InvalidTransitionError, LifecycleError, LoanStatus
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.domain.wording import Said
from app.loans.models import Accrual, Instalment, Loan, LoanRecovery, Repayment, RiskClassChange

# --- status -----------------------------------------------------------------------------------


def _move(loan: Loan, to: LoanStatus) -> None:
    """A loan's status changes only along LoanStatus's transitions (app/domain/loan_status.py);
    anything else is a bug, answered 409 rather than written."""
    current = LoanStatus(loan.status)
    if not current.may_become(to):
        raise InvalidTransitionError(
            Said(
                f"{label(current)}的贷款不能转为{label(to)}",
                f"A {current.value} loan cannot become {to.value}",
            )
        )
    loan.status = to


@dataclass(frozen=True, slots=True)
class Contract:
    """A signed contract's terms, fixed for the loan's life (5.2)."""

    household_id: uuid.UUID
    borrower_member_id: uuid.UUID
    region_code: str
    policy_version: str
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    repayment_method: str
    purpose: str
    large_production: bool
    terms: subsidy.SubsidyTerms
    roster_household: str | None
    signed_on: date
    contracted_by: str
    officer: str | None = None  # who looks after the loan; default: who contracted it
    application_id: uuid.UUID | None = None
    external_ref: str | None = None
    # renewals and loans brought over: where the loan sits in its chain (2.3)
    chain_id: uuid.UUID | None = None
    renewed_from_id: uuid.UUID | None = None
    chain_actions: int = 0
    risk_class: RiskClass = RiskClass.normal
    risk_class_override: RiskClass | None = None


def contract(session: Session, signed: Contract) -> Loan:
    """A new loan, contracted. Penalty markups are the settings' at signing (银发〔2003〕251号)."""
    settings = get_settings()
    loan = Loan(
        id=uuid.uuid4(),
        application_id=signed.application_id,
        household_id=signed.household_id,
        borrower_member_id=signed.borrower_member_id,
        region_code=signed.region_code,
        status=LoanStatus.contracted,
        policy_version=signed.policy_version,
        principal=signed.principal,
        annual_rate=signed.annual_rate,
        term_months=signed.term_months,
        repayment_method=signed.repayment_method,
        purpose=signed.purpose,
        large_production=signed.large_production,
        central_subsidy_rate=signed.terms.central_rate,
        local_subsidy_rate=signed.terms.local_rate,
        subsidised_principal=signed.terms.subsidised_principal,
        local_subsidised_principal=signed.terms.local_principal,
        penalty_markup=settings.overdue_penalty_markup,
        misuse_markup=settings.misuse_penalty_markup,
        roster_household=signed.roster_household,
        signed_on=signed.signed_on,
        contracted_by=signed.contracted_by,
        officer=signed.officer or signed.contracted_by,
        external_ref=signed.external_ref,
        chain_id=signed.chain_id,
        renewed_from_id=signed.renewed_from_id,
        chain_actions=signed.chain_actions,
        risk_class=signed.risk_class.value,
        risk_class_override=(
            signed.risk_class_override.value if signed.risk_class_override else None
        ),
    )
    session.add(loan)
    return loan


def start_disbursing(loan: Loan) -> None:
    _move(loan, LoanStatus.disbursing)


def return_to_contracted(loan: Loan) -> None:
    """Core banking answered that the payment failed, or the disbursement was cancelled."""
    _move(loan, LoanStatus.contracted)


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
                prepaid_interest=ZERO,
                central_share=shares.central,
                local_share=shares.local,
                accrual_start=row.period_start,
                accrued_interest_before=ZERO,
                accrued_central_before=ZERO,
                accrued_local_before=ZERO,
                principal_paid=ZERO,
                interest_paid=ZERO,
            )
        )
    _move(loan, LoanStatus.active)
    loan.value_date = value_date
    loan.maturity_date = plan.maturity_date
    loan.principal_outstanding = loan.principal
    loan.current_instalment = 1
    loan.current_due_date = plan.installments[0].due_date


def _end(session: Session, loan: Loan, to: LoanStatus) -> None:
    """The loan leaves its outstanding life (paid off, renewed, written off): what still waits
    on it for a second person's decision is withdrawn, with the reason."""
    _move(loan, to)
    decisions.withdraw_pending(
        session, loan.id, Said(f"贷款已转为{label(to)}", f"The loan became {to.value}")
    )


def _close(session: Session, loan: Loan, day: date) -> None:
    _end(session, loan, LoanStatus.closed)
    # a written-off loan left the book on its write-off date; its last recovery keeps that
    # (month-end totals, and the subsidy claims made of them, must not count it again)
    loan.closed_on = loan.closed_on or day
    loan.current_instalment = None
    loan.current_due_date = None
    loan.days_past_due = 0


# --- reads the owner shares -------------------------------------------------------------------


def instalments(session: Session, loan_id: uuid.UUID) -> list[Instalment]:
    return list(
        session.scalars(
            select(Instalment).where(Instalment.loan_id == loan_id).order_by(Instalment.number)
        )
    )


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


def _unpaid_interest(row: Instalment) -> Decimal:
    return row.interest_due - row.interest_paid


def _unpaid_principal(row: Instalment) -> Decimal:
    return row.principal_due - row.principal_paid


def _current(rows: list[Instalment], day: date) -> Instalment | None:
    return next((r for r in rows if r.period_start <= day < r.due_date), None)


def _settle_position(loan: Loan, rows: list[Instalment], day: date) -> None:
    """The loan's derived balances as of its open business date `day`, from its instalments:
    what fell due before `day` and is unpaid is overdue (the batch makes an instalment overdue
    at the close of its due date), the current instalment is the first not yet past due."""
    past = [r for r in rows if r.due_date < day]
    unpaid = [r for r in past if _unpaid_interest(r) > 0 or _unpaid_principal(r) > 0]
    loan.overdue_principal = sum((_unpaid_principal(r) for r in past), ZERO)
    loan.overdue_interest = sum((_unpaid_interest(r) for r in past), ZERO)
    loan.oldest_overdue_due = unpaid[0].due_date if unpaid else None
    loan.principal_outstanding = sum((_unpaid_principal(r) for r in rows), ZERO)
    current = next((r for r in rows if r.due_date >= day), None)
    loan.current_instalment = current.number if current else None
    loan.current_due_date = current.due_date if current else None


# --- repayments -------------------------------------------------------------------------------


def owed(loan: Loan, rows: list[Instalment], day: date) -> allocation.Owed:
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    future = [r for r in rows if r.due_date > day]
    current = _current(rows, day)
    return allocation.Owed(
        penalty=loan.penalty_outstanding,
        overdue_interest=sum((_unpaid_interest(r) for r in past), ZERO),
        overdue_principal=sum((_unpaid_principal(r) for r in past), ZERO),
        interest_due=sum((_unpaid_interest(r) for r in today), ZERO),
        principal_due=sum((_unpaid_principal(r) for r in today), ZERO),
        future_principal=sum((_unpaid_principal(r) for r in future), ZERO),
        annual_rate=loan.annual_rate,
        days_into_period=(day - current.period_start).days if current else 0,
    )


# The instalment fields a posting may change, kept on the posting so its reversal restores them.
_SCHEDULE_FIELDS = (
    "due_date",
    "principal_due",
    "interest_due",
    "prepaid_interest",
    "central_share",
    "local_share",
    "accrual_start",
    "accrued_interest_before",
    "accrued_central_before",
    "accrued_local_before",
    "principal_paid",
    "interest_paid",
)


def _snapshot(rows: list[Instalment]) -> dict[int, dict[str, Any]]:
    return {r.number: {f: getattr(r, f) for f in _SCHEDULE_FIELDS} for r in rows}


def _changed(before: dict[int, dict[str, Any]], rows: list[Instalment]) -> list[dict[str, Any]]:
    """The instalments a posting changed, with their fields before it (JSON-ready)."""
    after = _snapshot(rows)
    return [
        {"number": number, **{name: str(value) for name, value in was.items()}}
        for number, was in before.items()
        if after[number] != was
    ]


def apply_repayment(
    session: Session,
    loan: Loan,
    *,
    amount: Decimal,
    day: date,
    transaction_id: str,
    posted_by: str,
) -> Repayment:
    """Allocate `amount` (penalty, overdue interest, overdue principal, interest due, principal
    due, then prepayment) and post it. More than everything owed raises OverpaymentError and
    writes nothing."""
    rows = instalments(session, loan.id)
    split = allocation.allocate(amount, owed(loan, rows, day))
    before = _snapshot(rows)
    past = [r for r in rows if r.due_date < day]
    today = [r for r in rows if r.due_date == day]
    loan.penalty_outstanding -= split.penalty
    _pay(past, split.overdue_interest, "interest")
    _pay(past, split.overdue_principal, "principal")
    _pay(today, split.interest_due, "interest")
    _pay(today, split.principal_due, "principal")
    if split.pays_off:
        _pay_off(session, loan, rows, split, day)
    elif split.prepaid_principal > 0:
        _reamortise(loan, rows, split, day)
    _settle_position(loan, rows, day)
    if (
        loan.principal_outstanding == 0
        and loan.penalty_outstanding == 0
        and all(_unpaid_interest(r) == 0 and _unpaid_principal(r) == 0 for r in past + today)
    ):
        _close(session, loan, day)
    posting = Repayment(
        id=uuid.uuid4(),
        loan_id=loan.id,
        kind="posting",
        core_transaction_id=transaction_id,
        value_date=day,
        amount=amount,
        penalty=split.penalty,
        overdue_interest=split.overdue_interest,
        overdue_principal=split.overdue_principal,
        interest_due=split.interest_due,
        principal_due=split.principal_due,
        prepaid_principal=split.prepaid_principal,
        prepayment_interest=split.prepayment_interest,
        posted_by=posted_by,
        effect={
            "instalments": _changed(before, rows),
            "chain_actions": loan.chain_actions,
            "closed": loan.status == LoanStatus.closed,
        },
    )
    session.add(posting)
    return posting


def _pay(rows: list[Instalment], amount: Decimal, field: str) -> None:
    """Pay `field` ('interest' or 'principal') of `rows`, oldest first."""
    for row in rows:
        if amount <= 0:
            return
        unpaid = getattr(row, f"{field}_due") - getattr(row, f"{field}_paid")
        taken = min(unpaid, amount)
        setattr(row, f"{field}_paid", getattr(row, f"{field}_paid") + taken)
        amount -= taken


def _accrued_so_far(row: Instalment | _Basis, day: date) -> tuple[Decimal, Decimal, Decimal]:
    """(interest, central, local) accrued on the period through the day before `day`."""
    return _accrued_through(row, day - timedelta(days=1))


def _accrued_through(row: Instalment | _Basis, through: date) -> tuple[Decimal, Decimal, Decimal]:
    if row.accrual_start >= row.due_date:  # paid off: all it charges was accrued
        return row.accrued_interest_before, row.accrued_central_before, row.accrued_local_before

    def part(total: Decimal, before: Decimal) -> Decimal:
        return before + accrued_through(total - before, row.accrual_start, row.due_date, through)

    return (
        part(row.interest_due + row.prepaid_interest, row.accrued_interest_before),
        part(row.central_share, row.accrued_central_before),
        part(row.local_share, row.accrued_local_before),
    )


def _reamortise(
    loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    future = [r for r in rows if r.due_date > day]
    balance = sum((_unpaid_principal(r) for r in future), ZERO) - split.prepaid_principal
    old = [
        schedule.Installment(
            r.number, r.period_start, r.due_date, r.principal_due, r.interest_due, ZERO
        )
        for r in future
    ]
    fresh = schedule.reamortise(
        balance, loan.annual_rate, RepaymentMethod(loan.repayment_method), old
    )
    _replace_from(loan, rows, fresh, day, prepayment_interest=split.prepayment_interest)


def _replace_from(
    loan: Loan,
    rows: list[Instalment],
    fresh: list[schedule.Installment],
    day: date,
    *,
    prepayment_interest: Decimal = ZERO,
) -> list[Instalment]:
    """Put `fresh` in place of the instalments with the same numbers (adding new ones). The
    current period keeps what it accrued on the old basis up to `day` and accrues the rest of
    its new interest from `day`, so each period's accrual equals what it charges. Returns the
    instalments that did not exist before."""
    by_number = {r.number: r for r in rows}
    current = _current(rows, day)
    added = []
    for new in fresh:
        row = by_number.get(new.number)
        if row is None:
            row = Instalment(
                loan_id=loan.id,
                number=new.number,
                period_start=new.period_start,
                due_date=new.due_date,
                prepaid_interest=ZERO,
                accrual_start=new.period_start,
                accrued_interest_before=ZERO,
                accrued_central_before=ZERO,
                accrued_local_before=ZERO,
                principal_paid=ZERO,
                interest_paid=ZERO,
            )
            added.append(row)
        if row is current:
            before, central, local = _accrued_so_far(row, day)
            row.prepaid_interest += prepayment_interest
            row.accrued_interest_before = before
            row.accrued_central_before, row.accrued_local_before = central, local
            row.accrual_start = day
        row.due_date = new.due_date
        row.interest_due, row.principal_due = new.interest, new.principal
        shares = subsidy.shares(
            row.interest_due + row.prepaid_interest, terms_of(loan, row.due_date)
        )
        row.central_share, row.local_share = shares.central, shares.local
    return added


def _pay_off(
    session: Session, loan: Loan, rows: list[Instalment], split: allocation.Allocation, day: date
) -> None:
    """Everything is repaid: the current period's interest becomes the interest on the prepaid
    principal to the value date, and the difference to what had accrued is posted now."""
    current = _current(rows, day)
    trued = (ZERO, ZERO, ZERO)
    if current is not None:
        interest, central, local = _accrued_so_far(current, day)
        shares = subsidy.shares(split.prepayment_interest, terms_of(loan, current.due_date))
        forfeited = loan.subsidy_forfeited_from is not None
        trued = (
            split.prepayment_interest - interest,
            ZERO if forfeited else shares.central - central,
            ZERO if forfeited else shares.local - local,
        )
        current.prepaid_interest += split.prepayment_interest
        current.interest_due = ZERO
        current.accrued_interest_before = split.prepayment_interest
        current.central_share, current.local_share = shares.central, shares.local
        current.accrued_central_before, current.accrued_local_before = (
            shares.central,
            shares.local,
        )
        current.accrual_start = current.due_date
    for row in rows:
        if row.due_date > day:
            row.principal_paid = row.principal_due
            if row is not current:
                row.interest_due = ZERO
                row.central_share = row.local_share = ZERO
    _adjust_accrual(session, loan, day, "payoff", *trued)


def _adjust_accrual(
    session: Session,
    loan: Loan,
    day: date,
    kind: str,
    interest: Decimal,
    central: Decimal,
    local: Decimal,
) -> None:
    """An accrual entry outside the daily batch (a true-up, reversal or correction), added to
    any of the same kind already made for the loan that day, and the loan's running totals."""
    if not (interest or central or local):
        return
    amounts = {
        "interest": interest,
        "central_subsidy": central,
        "local_subsidy": local,
        "borrower_interest": interest - central - local,
        "penalty": ZERO,
    }
    statement = insert(Accrual).values(
        business_date=day, loan_id=loan.id, kind=kind, region_code=loan.region_code, **amounts
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                Accrual.region_code,
                Accrual.business_date,
                Accrual.loan_id,
                Accrual.kind,
            ],
            set_={
                name: getattr(Accrual, name) + getattr(statement.excluded, name) for name in amounts
            },
        )
    )
    loan.interest_accrued += interest
    loan.central_accrued += central
    loan.local_accrued += local


# --- reversal (冲正) ---------------------------------------------------------------------------


def reverse_repayment(
    session: Session,
    loan: Loan,
    posting: Repayment,
    *,
    day: date,
    transaction_id: str,
    reversed_by: str,
    reason: str,
    subsidise_overdue_days: bool,
) -> Repayment:
    """Undo `posting` by a new entry: its instalments get back the fields they had before it,
    the accrual it changed is corrected by a 'correction' entry dated `day` (so the next claim
    shows the subsidy effect as an adjustment), a loan it paid off reopens, and what is owed,
    days past due and the class are recomputed as of `day` (the county's open business date).

    Reversals go latest first: a posting followed by another unreversed posting, or by an
    extension or renewal, is refused (reverse the later ones first)."""
    effect = _reversible(loan, posting, day)
    _refuse_if_later_postings(session, posting)
    _restore(session, loan, posting, effect, day, subsidise_overdue_days)
    reversal = Repayment(
        id=uuid.uuid4(),
        loan_id=loan.id,
        kind="reversal",
        reverses_id=posting.id,
        core_transaction_id=transaction_id,
        value_date=day,
        reason=reason,
        posted_by=reversed_by,
        **{
            name: -getattr(posting, name)
            for name in (
                "amount",
                "penalty",
                "overdue_interest",
                "overdue_principal",
                "interest_due",
                "principal_due",
                "prepaid_principal",
                "prepayment_interest",
            )
        },
    )
    session.add(reversal)
    return reversal


def _reversible(loan: Loan, posting: Repayment, day: date) -> dict[str, Any]:
    """The posting's recorded effect, if it can still be undone as of `day` (LifecycleError,
    409 `not-reversible`, naming why not)."""
    effect = posting.effect
    if effect is None:
        raise LifecycleError(
            Said(
                "该笔还款入账于冲正功能启用之前，请人工更正",
                "This repayment was posted before reversals were recorded; correct it by hand",
            ),
            slug="not-reversible",
        )
    if loan.status not in (LoanStatus.active, LoanStatus.closed) or (
        loan.chain_actions != effect["chain_actions"]
    ):
        raise LifecycleError(
            Said(
                "该笔还款之后贷款已展期、续贷或重组，不能再冲正",
                "The loan was extended, renewed or restructured after this repayment;"
                " it can no longer be reversed",
            ),
            slug="not-reversible",
        )
    if loan.status == LoanStatus.closed and not effect["closed"]:  # pragma: no cover
        raise LifecycleError(
            Said("该笔还款之后贷款已结清", "The loan closed after this repayment"),
            slug="not-reversible",
        )
    if (
        loan.status == LoanStatus.closed
        and loan.closed_on is not None
        and (day.year, day.month) != (loan.closed_on.year, loan.closed_on.month)
    ):
        # After its month's end a closed loan has left the month-end totals that subsidy
        # claims are differences of; reopening it then would claim its subsidy twice.
        raise LifecycleError(
            Said(
                "结清还款只能在结清当月冲正；请人工重开贷款",
                "A pay-off is reversed within the month the loan closed in; reopen it by hand",
            ),
            slug="not-reversible",
        )
    return effect


def _restore(
    session: Session,
    loan: Loan,
    posting: Repayment,
    effect: dict[str, Any],
    day: date,
    subsidise_overdue_days: bool,
) -> None:
    """The instalments as they were before the posting, the loan reopened if it paid it off,
    the accruals corrected and the position, days past due and class recomputed as of `day`."""
    rows = instalments(session, loan.id)
    by_number = {r.number: r for r in rows}
    as_posted = _snapshot(rows)
    for before in effect["instalments"]:
        row = by_number[before["number"]]
        for name in _SCHEDULE_FIELDS:
            value = before[name]
            setattr(row, name, date.fromisoformat(value) if _is_date(name) else Decimal(value))
    loan.penalty_outstanding += posting.penalty
    if loan.status == LoanStatus.closed:
        _move(loan, LoanStatus.active)
        loan.closed_on = None
    _settle_position(loan, rows, day)
    # Subsidy is due only for the days the loan, as restored, performed (1.6): through its
    # oldest unpaid due date, unless the county subsidises overdue days. Whatever was accrued
    # after that is reversed; up to it, the accrual basis the posting changed is corrected.
    yesterday = day - timedelta(days=1)
    subsidised_through = yesterday
    if loan.oldest_overdue_due is not None and not subsidise_overdue_days:
        subsidised_through = min(yesterday, loan.oldest_overdue_due)
        # Before the posting the loan stood as restored (its overdue days went unsubsidised
        # then): only the days from the posting on are taken back.
        since = max(subsidised_through + timedelta(days=1), posting.value_date)
        _reverse_subsidy_since(session, loan, since, day)
    _correct_accrual(session, loan, rows, as_posted, yesterday, subsidised_through, day)
    _reclassify(session, loan, day)


def _refuse_if_later_postings(session: Session, posting: Repayment) -> None:
    later = aliased(Repayment)
    reversal = aliased(Repayment)
    found = session.scalar(
        select(later.core_transaction_id)
        .where(
            later.loan_id == posting.loan_id,
            later.kind == "posting",
            later.id != posting.id,
            later.created_at >= posting.created_at,
            ~exists().where(reversal.reverses_id == later.id),
        )
        .limit(1)
    )
    if found is not None:
        raise LifecycleError(
            Said(
                f"之后的还款（{found}）以该笔为基础：请先冲正之后的还款",
                f"A later repayment ({found}) stands on this one: reverse it first",
            ),
            slug="later-repayments",
        )


def _is_date(name: str) -> bool:
    return name in ("due_date", "accrual_start")


def _correct_accrual(
    session: Session,
    loan: Loan,
    rows: list[Instalment],
    as_posted: dict[int, dict[str, Any]],
    through: date,
    subsidised_through: date,
    day: date,
) -> None:
    """What the restored schedule had accrued, less what the posting's schedule did (a
    prepayment lowered the interest basis; a pay-off trued it up): interest through
    `through`, subsidy through `subsidised_through`; one 'correction' entry dated `day`."""
    interest = central = local = ZERO
    for row in rows:
        was = _Basis(**{f: as_posted[row.number][f] for f in _BASIS_FIELDS})
        if all(getattr(row, f) == getattr(was, f) for f in _BASIS_FIELDS):
            continue
        interest += _accrued_through(row, through)[0] - _accrued_through(was, through)[0]
        restored = _accrued_through(row, subsidised_through)
        posted = _accrued_through(was, subsidised_through)
        central += restored[1] - posted[1]
        local += restored[2] - posted[2]
    if loan.subsidy_forfeited_from is not None:
        central = local = ZERO
    _adjust_accrual(session, loan, day, "correction", interest, central, local)


@dataclass(frozen=True, slots=True)
class _Basis:
    """An instalment's accrual basis, as `_accrued_so_far` reads it."""

    due_date: date
    interest_due: Decimal
    prepaid_interest: Decimal
    central_share: Decimal
    local_share: Decimal
    accrual_start: date
    accrued_interest_before: Decimal
    accrued_central_before: Decimal
    accrued_local_before: Decimal


_BASIS_FIELDS = tuple(f.name for f in fields(_Basis))


def _reclassify(session: Session, loan: Loan, day: date) -> None:
    """Days past due and the class as the batch had them at last night's close, had the
    reversed repayment never been posted."""
    last_close = day - timedelta(days=1)
    dpd = max((last_close - loan.oldest_overdue_due).days, 0) if loan.oldest_overdue_due else 0
    loan.days_past_due = dpd
    restructuring = (
        Restructuring(
            RiskClass(loan.restructure_floor),
            loan.observation_start,
            loan.observation_end,
            loan.observation_breached,
        )
        if loan.restructure_floor and loan.observation_start and loan.observation_end
        else None
    )
    override = RiskClass(loan.risk_class_override) if loan.risk_class_override else None
    _set_class(
        session,
        loan,
        classify(dpd, last_close, override=override, restructuring=restructuring),
        day,
        "repayment_reversal",
    )


def _set_class(session: Session, loan: Loan, to: RiskClass, day: date, reason: str) -> None:
    if to.value == loan.risk_class:
        return
    session.add(
        RiskClassChange(
            loan_id=loan.id,
            business_date=day,
            from_class=loan.risk_class,
            to_class=to.value,
            days_past_due=loan.days_past_due,
            reason=reason,
        )
    )
    loan.risk_class = to.value


# --- subsidy ----------------------------------------------------------------------------------


def _reverse_subsidy_since(session: Session, loan: Loan, since: date, on: date) -> Decimal:
    """Reverse the subsidy accrued from `since` on, by a 'reversal' entry dated `on`. Only as
    far back as the daily rows are kept (ACCRUAL_DAILY_RETENTION_MONTHS): further back, the
    month-end totals cannot say what accrued from a given day, and it is corrected by hand."""
    months = get_settings().accrual_daily_retention_months
    if months and since < (kept := daily_detail_from(on, months)):
        raise LifecycleError(
            Said(
                f"{kept} 之前的贴息计提只保留月末合计；自 {since} 起的更正需人工处理",
                f"Subsidy accrued before {kept} is kept only as month-end totals; a correction"
                f" from {since} is made by hand",
            ),
            slug="before-daily-detail",
        )
    central, local = session.execute(
        select(
            func.coalesce(func.sum(Accrual.central_subsidy), 0),
            func.coalesce(func.sum(Accrual.local_subsidy), 0),
        ).where(
            # the county's rows from `since` by its index, then the loan's (rare: no index of
            # its own, which every day's million inserts would pay for)
            Accrual.region_code == loan.region_code,
            Accrual.business_date >= since,
            Accrual.loan_id == loan.id,
        )
    ).one()
    _adjust_accrual(session, loan, on, "reversal", ZERO, -central, -local)
    return Decimal(central + local)


def find_misuse(
    session: Session,
    loan: Loan,
    *,
    visited_on: date,
    open_date: date,
    finding: str,
    amount: Decimal | None,
) -> Decimal:
    """4.2: a confirmed misuse. The misuse rate applies from the finding or the open date,
    whichever is later (penalties are not back-posted into closed days), on the misused amount
    (at most the outstanding principal). No subsidy from the finding on (1.6, 3.3): what
    accrued since is reversed. Returns the subsidy reversed."""
    loan.misuse_since = max(visited_on, open_date)
    loan.misuse_finding = finding
    loan.misuse_amount = min(amount or loan.principal_outstanding, loan.principal_outstanding)
    return forfeit_subsidy(session, loan, visited_on, open_date)


def correct_misuse(loan: Loan) -> None:
    loan.misuse_since = loan.misuse_finding = None
    loan.misuse_amount = None


def record_visit(loan: Loan, visited_on: date) -> None:
    loan.last_visit_on = max(loan.last_visit_on or visited_on, visited_on)


def forfeit_subsidy(session: Session, loan: Loan, since: date, on: date) -> Decimal:
    """1.6, 3.3: no subsidy from a confirmed misuse's start on. What was accrued from `since`
    is reversed by a new accrual row dated `on` (the open business date), which the next claim
    shows as a negative adjustment; the batch accrues none from then on. Returns the central
    plus local subsidy reversed."""
    if loan.subsidy_forfeited_from is not None and loan.subsidy_forfeited_from <= since:
        return ZERO
    loan.subsidy_forfeited_from = since
    return _reverse_subsidy_since(session, loan, since, on)


# --- classification ---------------------------------------------------------------------------


def override_class(session: Session, loan: Loan, to: RiskClass, day: date) -> None:
    """A risk manager's worse class (checked by the caller against 3.1), kept as an override."""
    loan.risk_class_override = to.value
    _set_class(session, loan, to, day, "override")


def _restructure(session: Session, loan: Loan, day: date, before: RiskClass) -> None:
    """3.1 and the 2023 rules: at least special mention and never better than `before`,
    observed from the first repayment date after the change for two periods and a year."""
    start, end = observation_period(day, [r.due_date for r in instalments(session, loan.id)])
    floor = restructured_floor(before)
    loan.restructured_on, loan.restructure_floor = day, floor.value
    loan.observation_start, loan.observation_end = start, end
    loan.observation_breached = False
    _set_class(session, loan, worst(RiskClass(loan.risk_class), floor), day, "restructuring")


# --- extension and renewal (2.3) --------------------------------------------------------------


def extend(
    session: Session,
    loan: Loan,
    *,
    months: int,
    day: date,
    restructuring: bool,
    new_terms: subsidy.SubsidyTerms | None = None,
    new_policy_version: str | None = None,
) -> None:
    """The unpaid principal, overdue included, is rescheduled over the remaining periods plus
    the extension; overdue interest stays due. `new_terms`: a legacy loan's extension period is
    subsidised under the 2026 terms (2.3, 5.2); it keeps its own terms for its contract period."""
    assert loan.maturity_date is not None and loan.value_date is not None
    if new_terms is not None:
        loan.extension_from = loan.maturity_date
        loan.extension_policy_version = new_policy_version
        loan.extension_central_rate = new_terms.central_rate
        loan.extension_local_rate = new_terms.local_rate
        loan.extension_subsidised_principal = new_terms.subsidised_principal
        loan.extension_local_subsidised_principal = new_terms.local_principal
    rows = instalments(session, loan.id)
    for row in rows:
        if row.due_date <= day:
            row.principal_due = row.principal_paid
    current = next(r for r in rows if r.period_start <= day < r.due_date)
    fresh = schedule.reschedule(
        loan.principal_outstanding,
        loan.annual_rate,
        RepaymentMethod(loan.repayment_method),
        loan.value_date,
        current.number,
        rows[-1].number + months,
    )
    for added in _replace_from(loan, rows, fresh, day):
        session.add(added)
        rows.append(added)
    loan.maturity_date = fresh[-1].due_date
    loan.extension_months += months
    loan.chain_actions += 1
    _settle_position(loan, rows, day)
    if restructuring:
        session.flush()
        _restructure(session, loan, day, RiskClass(loan.risk_class))


def renew(
    session: Session,
    old: Loan,
    *,
    day: date,
    months: int,
    repayment_method: str,
    terms: subsidy.SubsidyTerms,
    policy_version: str,
    contracted_by: str,
    restructuring: bool,
) -> Loan:
    """The old loan closes as renewed; a new one under the 2026 terms takes its principal,
    active from `day`. The renewal alone never worsens nor improves the class (3.1); a borrower
    in difficulty is restructured on top."""
    amount = old.principal_outstanding
    for instalment in instalments(session, old.id):
        instalment.principal_paid = instalment.principal_due
    before = RiskClass(old.risk_class)
    carried, override = carried_by_renewal(
        before, RiskClass(old.risk_class_override) if old.risk_class_override else None
    )
    _end(session, old, LoanStatus.renewed)
    old.closed_on = day
    old.principal_outstanding = old.overdue_principal = ZERO
    old.oldest_overdue_due = old.current_instalment = old.current_due_date = None
    session.flush()
    new = contract(
        session,
        Contract(
            household_id=old.household_id,
            borrower_member_id=old.borrower_member_id,
            region_code=old.region_code,
            policy_version=policy_version,
            principal=amount,
            annual_rate=terms.annual_rate,
            term_months=months,
            repayment_method=repayment_method,
            purpose=old.purpose,
            large_production=old.large_production,
            terms=terms,
            roster_household=old.roster_household,
            signed_on=day,
            contracted_by=contracted_by,
            officer=old.officer,
            chain_id=old.chain_id or old.id,
            renewed_from_id=old.id,
            chain_actions=old.chain_actions + 1,
            risk_class=carried,
            risk_class_override=override,
        ),
    )
    session.flush()
    activate(session, new, day)
    if restructuring:
        session.flush()
        _restructure(session, new, day, before)
    return new


# --- loans brought over from the earlier system -----------------------------------------------


def take_over(session: Session, loan: Loan, *, paid: int, day: date) -> None:
    """An activated legacy loan as the earlier system hands it over on `day`: of the
    instalments due before `day` the first `paid` were paid there, the rest are overdue. The
    current period accrues here from `day` on (what it accrued before was the earlier
    system's)."""
    rows = instalments(session, loan.id)
    past = [r for r in rows if r.due_date < day]
    if paid > len(past):
        raise LifecycleError(
            Said(
                f"已还期数 {paid} 超过 {day} 之前到期的 {len(past)} 期",
                f"instalments_paid {paid} exceeds the {len(past)} due before {day}",
            )
        )
    for row in past[:paid]:
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
    _settle_position(loan, rows, day)
    if loan.principal_outstanding == 0:
        raise LifecycleError(Said("该贷款已还清", "the loan is already repaid"))
    upcoming = [r for r in rows if r.due_date >= day]
    if upcoming and upcoming[0].period_start < day:
        row = upcoming[0]
        before = day - timedelta(days=1)
        row.accrued_interest_before = accrued_through(
            row.interest_due, row.period_start, row.due_date, before
        )
        row.accrued_central_before = accrued_through(
            row.central_share, row.period_start, row.due_date, before
        )
        row.accrued_local_before = accrued_through(
            row.local_share, row.period_start, row.due_date, before
        )
        row.accrual_start = day


def reassign_officer(
    session: Session,
    from_officer: str,
    to_officer: str,
    regions: list[str],
    loan_ids: list[uuid.UUID] | None,
) -> list[tuple[uuid.UUID, str]]:
    """Move the outstanding loans `from_officer` looks after, within `regions` (all of them,
    or those of `loan_ids`), to `to_officer`. Returns each moved loan and its region."""
    query = update(Loan).where(
        Loan.officer == from_officer,
        Loan.status.in_(LoanStatus.outstanding()),
        prefixes_filter(regions, Loan.region_code),
    )
    if loan_ids is not None:
        query = query.where(Loan.id.in_(loan_ids))
    moved = session.execute(
        query.values(officer=to_officer).returning(Loan.id, Loan.region_code)
    ).all()
    return [(loan_id, region) for loan_id, region in moved]


# --- write-off and recovery (2.1 核销, 账销案存) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class WrittenOff:
    principal: Decimal
    interest: Decimal  # overdue, due today and accrued in the current period
    penalty: Decimal

    @property
    def claim(self) -> Decimal:
        return self.principal + self.interest + self.penalty


def write_off(session: Session, loan: Loan, day: date) -> WrittenOff:
    """The loan leaves the book: no more accrual or classification by the batch (it serves
    active loans); what it owed on `day` stays owed, as the claim recoveries are set against."""
    position = owed(loan, instalments(session, loan.id), day)
    amounts = WrittenOff(
        principal=loan.principal_outstanding,
        interest=position.overdue_interest + position.interest_due + position.payoff_interest,
        penalty=loan.penalty_outstanding,
    )
    _end(session, loan, LoanStatus.written_off)
    # it leaves the book today: this month's totals still count it, so the subsidy it earned
    # since the last month end is claimed (1.6), and later months' do not
    loan.closed_on = day
    loan.current_instalment = None
    loan.current_due_date = None
    return amounts


def record_recovery(
    session: Session,
    loan: Loan,
    *,
    write_off_id: uuid.UUID,
    claim: Decimal,
    core_transaction_id: str,
    amount: Decimal,
    value_date: date,
    posted_by: str,
) -> tuple[LoanRecovery, Decimal]:
    """A recovery against a written-off loan's claim; the one that completes it closes the
    loan (the household may then borrow again, 1.1). Returns it and what is still owed. More
    than is still owed is refused."""
    if loan.status != LoanStatus.written_off:
        raise LifecycleError(
            Said("只对已核销贷款登记收回", "Recoveries are recorded on written-off loans"),
            "not-written-off",
        )
    recovered = session.scalar(
        select(func.coalesce(func.sum(LoanRecovery.amount), 0)).where(
            LoanRecovery.loan_id == loan.id
        )
    )
    remaining = claim - (recovered or ZERO)
    if amount > remaining:
        raise LifecycleError(
            Said(
                f"{amount} 超过该核销贷款尚欠的 {remaining}",
                f"{amount} is more than the {remaining} still owed on the written-off loan",
            ),
            "overpayment",
        )
    recovery = LoanRecovery(
        id=uuid.uuid4(),
        loan_id=loan.id,
        write_off_id=write_off_id,
        core_transaction_id=core_transaction_id,
        amount=amount,
        value_date=value_date,
        posted_by=posted_by,
    )
    session.add(recovery)
    remaining -= amount
    if remaining == ZERO:
        _close(session, loan, value_date)
    return recovery, remaining
