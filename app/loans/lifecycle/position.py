"""What the owner reads: a loan's instalments, its subsidy terms, what is owed, and the
accrual basis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.domain import repayment as allocation
from app.domain import subsidy
from app.domain.accrual import accrued_through
from app.domain.money import ZERO
from app.loans.models import Accrual, Instalment, Loan


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


def _is_date(name: str) -> bool:
    return name in ("due_date", "accrual_start")
