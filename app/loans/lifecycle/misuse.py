"""Subsidy that stops (1.6, 1.8): a misuse found on a visit, and what it forfeits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.settings import get_settings
from app.domain.accrual import daily_detail_from
from app.domain.loan_status import LifecycleError
from app.domain.money import ZERO
from app.domain.wording import Said
from app.loans.lifecycle.position import _adjust_accrual
from app.loans.models import Accrual, Loan


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
