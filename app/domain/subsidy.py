"""Interest subsidies (贴息), clause 1.6.

Central: min(70% × contract rate, 2.5 points) on a subsidised principal of at most 50,000
(100,000 for large production needs). Local governments may add a rate, capped so that
central + local never exceeds the contract rate. The borrower should bear part of the
interest, so bearing none is a warning. Interest on the unsubsidised principal, on overdue
amounts and penalty interest is never subsidised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.money import ZERO, fen, precise_div
from app.domain.policy import PolicyVersion


class LegacySubsidyError(ValueError):
    """Legacy loans carry the subsidy recorded on their contract (5.2); it is not computed."""


@dataclass(frozen=True, slots=True)
class SubsidyTerms:
    """Fixed on the contract for the loan's life (clause 1.4: the rate never changes)."""

    annual_rate: Decimal
    central_rate: Decimal
    local_rate: Decimal
    principal: Decimal
    subsidised_principal: Decimal

    @property
    def borrower_rate_on_subsidised(self) -> Decimal:
        return self.annual_rate - self.central_rate - self.local_rate


@dataclass(frozen=True, slots=True)
class SubsidySplit:
    terms: SubsidyTerms
    warnings: list[str] = field(default_factory=list)

    @property
    def unsubsidised_principal(self) -> Decimal:
        return self.terms.principal - self.terms.subsidised_principal


@dataclass(frozen=True, slots=True)
class InterestShares:
    central: Decimal
    local: Decimal
    borrower: Decimal

    @property
    def total(self) -> Decimal:
        return self.central + self.local + self.borrower


def subsidised_principal(amount: Decimal, large_production: bool, policy: PolicyVersion) -> Decimal:
    cap = (
        policy.subsidised_principal_cap_large
        if large_production
        else (policy.subsidised_principal_cap)
    )
    return min(amount, cap)


def split(
    annual_rate: Decimal,
    amount: Decimal,
    large_production: bool,
    local_rate_requested: Decimal,
    policy: PolicyVersion,
) -> SubsidySplit:
    """The subsidy terms a new contract under `policy` gets (clause 1.6)."""
    if policy.central_subsidy is None:
        raise LegacySubsidyError(
            f"{policy.code} loans keep the subsidy terms recorded on their contract (5.2)"
        )
    warnings: list[str] = []
    central = policy.central_subsidy.rate_for(annual_rate)
    local_cap = annual_rate - central
    local = min(local_rate_requested, local_cap)
    if local < local_rate_requested:
        warnings.append(
            f"local_rate_capped: local subsidy rate cut from {local_rate_requested} to {local}"
            " so that central + local does not exceed the contract rate (1.6)"
        )
    if annual_rate > 0 and central + local >= annual_rate:
        warnings.append(
            "borrower_bears_no_interest: the notice asks the borrower to bear part of the"
            " interest (1.6)"
        )
    terms = SubsidyTerms(
        annual_rate=annual_rate,
        central_rate=central,
        local_rate=local,
        principal=amount,
        subsidised_principal=subsidised_principal(amount, large_production, policy),
    )
    return SubsidySplit(terms=terms, warnings=warnings)


def shares(interest: Decimal, terms: SubsidyTerms) -> InterestShares:
    """Split a posted amount of *contractual* interest (never penalty or overdue interest).

    The subsidised fraction of every balance is subsidised principal / principal, fixed for the
    loan's life; within it the interest divides in proportion to the rates. Each share is
    rounded once; the borrower's share is the rest, so the three always sum to the interest
    exactly and none is negative."""
    if interest <= 0 or terms.annual_rate <= 0 or terms.principal <= 0:
        return InterestShares(ZERO, ZERO, max(interest, ZERO))
    subsidised_interest = fen(precise_div(interest * terms.subsidised_principal, terms.principal))
    central = fen(precise_div(subsidised_interest * terms.central_rate, terms.annual_rate))
    local = fen(precise_div(subsidised_interest * terms.local_rate, terms.annual_rate))
    # Both rounded up could pass the subsidised interest by a fen when the borrower's rate is 0.
    local = min(local, subsidised_interest - central)
    return InterestShares(central=central, local=local, borrower=interest - central - local)
