"""What the owner reads: a loan's instalments, its subsidy terms, what is owed, and the
accrual basis."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.domain import position as arithmetic
from app.domain import repayment as allocation
from app.domain import subsidy
from app.domain.accrual import Basis, accrued_on_basis
from app.domain.money import ZERO
from app.loans.models import Accrual, Instalment, Loan

# Built once (a loan's schedule is read on every view of it and every posting): SQLAlchemy
# finds its compiled form without walking a new statement each time.
_INSTALMENTS = (
    select(Instalment).where(Instalment.loan_id == bindparam("loan_id")).order_by(Instalment.number)
)


def instalments(session: Session, loan_id: uuid.UUID) -> list[Instalment]:
    return list(session.scalars(_INSTALMENTS, {"loan_id": loan_id}))


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


# The arithmetic is the domain's (app/domain/position.py); here it is applied to a loan.


def _settle_position(loan: Loan, rows: list[Instalment], day: date) -> None:
    """The loan's derived balances as of its open business date `day`, from its instalments."""
    found = arithmetic.position(rows, day)
    loan.overdue_principal = found.overdue_principal
    loan.overdue_interest = found.overdue_interest
    loan.oldest_overdue_due = found.oldest_overdue_due
    loan.principal_outstanding = found.principal_outstanding
    loan.current_instalment = found.current_instalment
    loan.current_due_date = found.current_due_date


def owed(loan: Loan, rows: list[Instalment], day: date) -> allocation.Owed:
    """What a repayment dated `day` is allocated against."""
    return arithmetic.owed(rows, day, loan.penalty_outstanding, loan.annual_rate)


# The accrual basis and what it has accrued are the domain's (app/domain/accrual.py).


def _accrued_so_far(row: Instalment | Basis, day: date) -> tuple[Decimal, Decimal, Decimal]:
    """(interest, central, local) accrued on the period through the day before `day`."""
    return accrued_on_basis(row, day - timedelta(days=1))


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
