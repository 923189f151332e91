"""A repayment undone (冲正) by a new entry, latest first."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from app.domain.accrual import BASIS_FIELDS, Basis, accrued_on_basis
from app.domain.loan_status import LifecycleError, LoanStatus
from app.domain.money import ZERO
from app.domain.wording import Said
from app.loans.lifecycle.classification import _reclassify
from app.loans.lifecycle.misuse import _reverse_subsidy_since
from app.loans.lifecycle.position import (
    _SCHEDULE_FIELDS,
    _adjust_accrual,
    _is_date,
    _settle_position,
    _snapshot,
    instalments,
)
from app.loans.lifecycle.status import _move
from app.loans.models import Instalment, Loan, Repayment


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
        was = Basis(**{f: as_posted[row.number][f] for f in BASIS_FIELDS})
        if all(getattr(row, f) == getattr(was, f) for f in BASIS_FIELDS):
            continue
        interest += accrued_on_basis(row, through)[0] - accrued_on_basis(was, through)[0]
        restored = accrued_on_basis(row, subsidised_through)
        posted = accrued_on_basis(was, subsidised_through)
        central += restored[1] - posted[1]
        local += restored[2] - posted[2]
    if loan.subsidy_forfeited_from is not None:
        central = local = ZERO
    _adjust_accrual(session, loan, day, "correction", interest, central, local)
