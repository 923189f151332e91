"""Allocation of a repayment, and prepayment (DESIGN §2, issue 5).

Order: penalty interest, overdue interest, overdue principal, interest due, principal due,
then prepayment of principal (partial or full, no fee) with interest on the prepaid principal
to the value date (balance × rate × days / 360). More than everything owed is refused.
Interest on overdue interest (复利) is not charged: Bangfu's choice for an assistance product.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import ZERO, daily_interest, fen, precise_div


class OverpaymentError(ValueError):
    def __init__(self, owed: Decimal) -> None:
        super().__init__(f"the amount exceeds everything owed ({owed})")
        self.owed = owed


@dataclass(frozen=True, slots=True)
class Owed:
    penalty: Decimal
    overdue_interest: Decimal
    overdue_principal: Decimal
    interest_due: Decimal  # instalment falling due on the value date
    principal_due: Decimal
    future_principal: Decimal  # not yet due
    annual_rate: Decimal
    days_into_period: int  # days of the current period before the value date

    @property
    def payoff_interest(self) -> Decimal:
        return daily_interest(self.future_principal, self.annual_rate, self.days_into_period)

    @property
    def total(self) -> Decimal:
        return (
            self.penalty
            + self.overdue_interest
            + self.overdue_principal
            + self.interest_due
            + self.principal_due
            + self.future_principal
            + self.payoff_interest
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    penalty: Decimal
    overdue_interest: Decimal
    overdue_principal: Decimal
    interest_due: Decimal
    principal_due: Decimal
    prepaid_principal: Decimal
    prepayment_interest: Decimal
    pays_off: bool

    @property
    def total(self) -> Decimal:
        return (
            self.penalty
            + self.overdue_interest
            + self.overdue_principal
            + self.interest_due
            + self.principal_due
            + self.prepaid_principal
            + self.prepayment_interest
        )


def allocate(amount: Decimal, owed: Owed) -> Allocation:
    if amount <= 0:
        raise ValueError("a repayment must be positive")
    if amount > owed.total:
        raise OverpaymentError(owed.total)
    left = amount
    parts: list[Decimal] = []
    for bucket in (
        owed.penalty,
        owed.overdue_interest,
        owed.overdue_principal,
        owed.interest_due,
        owed.principal_due,
    ):
        taken = min(left, bucket)
        parts.append(taken)
        left -= taken
    prepaid, interest = _prepayment(left, owed)
    penalty, overdue_interest, overdue_principal, interest_due, principal_due = parts
    return Allocation(
        penalty=penalty,
        overdue_interest=overdue_interest,
        overdue_principal=overdue_principal,
        interest_due=interest_due,
        principal_due=principal_due,
        prepaid_principal=prepaid,
        prepayment_interest=interest,
        pays_off=amount == owed.total,
    )


def _prepayment(amount: Decimal, owed: Owed) -> tuple[Decimal, Decimal]:
    """Split what is left into principal X and its interest to the value date, X + i = amount.
    Paying off: X is all the future principal and i its interest to the value date."""
    if amount <= 0:
        return ZERO, ZERO
    payoff = owed.future_principal + owed.payoff_interest
    if amount >= payoff:
        return owed.future_principal, amount - owed.future_principal
    factor = 1 + precise_div(owed.annual_rate * owed.days_into_period, Decimal(360))
    principal = min(fen(precise_div(amount, factor)), owed.future_principal)
    return principal, amount - principal
