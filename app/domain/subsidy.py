"""Interest subsidies (贴息), clause 1.6.

Central: min(70% × contract rate, 2.5 points) on a subsidised principal of at most 50,000
(100,000 for large production needs). Local governments may add a rate, capped so that
central + local never exceeds the contract rate. The borrower should bear part of the
interest, so bearing none is a warning. Interest on the unsubsidised principal, on overdue
amounts and penalty interest is never subsidised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.domain.money import ZERO, fen, precise_div
from app.domain.policy import PolicyVersion
from app.domain.rules import RuleResult, rule
from app.domain.wording import Said


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
    # The local programme may cap the principal it subsidises lower (None: the same).
    local_subsidised_principal: Decimal | None = None

    @property
    def local_principal(self) -> Decimal:
        if self.local_subsidised_principal is None:
            return self.subsidised_principal
        return min(self.local_subsidised_principal, self.subsidised_principal)

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


class ProgrammeBasis(StrEnum):
    share_of_rate = "share_of_rate"  # a share of the contract rate, e.g. 0.2 × 4.35%
    rate_points = "rate_points"  # a fixed figure, e.g. 0.01 = 1 percentage point


@dataclass(frozen=True, slots=True)
class LocalProgramme:
    """A region's local subsidy programme (1.6: 地方财政部门可结合自身财力…按一定比例安排贴息).
    A contract takes the programme in force on its date, never a figure typed per contract."""

    region_prefix: str
    basis: ProgrammeBasis
    value: Decimal
    principal_cap: Decimal | None
    effective_from: date
    effective_to: date | None = None  # exclusive
    name: str = ""  # as the county's finance department calls it (the subsidy notice names it)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def rate_for(self, contract_rate: Decimal) -> Decimal:
        if self.basis is ProgrammeBasis.share_of_rate:
            return self.value * contract_rate
        return self.value


def programme_for(
    region_code: str, on: date, programmes: list[LocalProgramme]
) -> LocalProgramme | None:
    """The programme governing a county on a date: among those in force whose prefix covers the
    county, the most specific (longest prefix), then the latest to take effect."""
    found = [p for p in programmes if region_code.startswith(p.region_prefix) and p.in_force(on)]
    if not found:
        return None
    return max(found, key=lambda p: (len(p.region_prefix), p.effective_from))


class LargeProductionCategory(StrEnum):
    """1.6: the large production needs for which the subsidised principal may rise to 100,000."""

    scale_up = "scale_up"  # 扩大生产经营规模
    farm_facilities = "farm_facilities"  # 购买农用设施设备
    facility_agriculture = "facility_agriculture"  # 开展设施农业经营


def check_large_production(
    requested: bool, category: LargeProductionCategory | None, confirmed: bool
) -> RuleResult:
    """1.6: the 100,000 cap on subsidised principal needs a large production need of a kind the
    notice names, confirmed by the deciding reviewer (recorded on the decision)."""
    ok = not confirmed or (requested and category is not None)
    return rule(
        "large_production_need",
        "1.6",
        ok,
        "大额生产经营支出需要已确认（贴息额度上限10万元）"
        if ok
        else "贴息额度提高至10万元须申请时提出，且属于扩大生产经营规模、购买农用设施设备或"
        "开展设施农业经营",
        "The large production need is confirmed (subsidised principal up to 100,000)"
        if ok
        else "The 100,000 subsidy cap needs a large production need applied for, of a kind the"
        " notice names: scaling up, farm facilities or equipment, facility agriculture",
    )


def check_local_rate_from_programme(
    requested: Decimal | None, programme_rate: Decimal
) -> RuleResult:
    """1.6: the local subsidy is the region programme's; a figure sent with a decision must be
    that figure (it is never typed per contract)."""
    ok = requested is None or requested == programme_rate
    programme_rate = programme_rate.normalize()
    return rule(
        "local_subsidy_from_programme",
        "1.6",
        ok,
        f"地方贴息按所在地区贴息方案执行（{programme_rate}）"
        if ok
        else f"地方贴息须按所在地区贴息方案执行（{programme_rate}），不能逐笔填写（{requested}）",
        f"The local subsidy is the region's programme ({programme_rate})"
        if ok
        else f"The local subsidy comes from the region's programme ({programme_rate}), not a"
        f" figure typed per contract ({requested})",
    )


def check_borrower_share(terms: SubsidyTerms, floor: Decimal) -> RuleResult:
    """1.6 (积极引导借款人承担部分利息): central + local subsidy must leave the borrower a rate
    above `floor` on the subsidised principal."""
    borrower = terms.borrower_rate_on_subsidised
    ok = borrower > floor
    return rule(
        "borrower_bears_interest",
        "1.6",
        ok,
        f"借款人承担利率{borrower}，高于下限{floor}"
        if ok
        else f"中央和地方贴息后借款人承担利率为{borrower}，须高于{floor}：借款人应承担部分利息",
        f"The borrower bears {borrower} on the subsidised principal, above {floor}"
        if ok
        else f"After central and local subsidy the borrower would bear {borrower}; it must be"
        f" above {floor} (the borrower bears part of the interest)",
    )


def subsidy_accrues(days_past_due: int, subsidise_overdue_days: bool, forfeited: bool) -> bool:
    """1.6 and 3.3 (全流程管控): a day's interest is subsidised only while the loan performs —
    not on a day it has an instalment overdue (逾期期间不予贴息; a region may decide otherwise),
    and never after a confirmed misuse of the funds. The end-of-day batch's SQL states this
    same rule (a test holds them equal)."""
    if forfeited:
        return False
    return days_past_due == 0 or subsidise_overdue_days


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
    local_principal_cap: Decimal | None = None,
) -> SubsidySplit:
    """The subsidy terms a new contract under `policy` gets (clause 1.6)."""
    if policy.central_subsidy is None:
        raise LegacySubsidyError(
            Said(
                f"{policy.code} 政策下的贷款沿用合同中记载的贴息条件（5.2）",
                f"{policy.code} loans keep the subsidy terms recorded on their contract (5.2)",
            )
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
        local_subsidised_principal=local_principal_cap,
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
    local_interest = (
        subsidised_interest
        if terms.local_principal == terms.subsidised_principal
        else fen(precise_div(interest * terms.local_principal, terms.principal))
    )
    local = fen(precise_div(local_interest * terms.local_rate, terms.annual_rate))
    # Both rounded up could pass the subsidised interest by a fen when the borrower's rate is 0.
    local = min(local, subsidised_interest - central)
    return InterestShares(central=central, local=local, borrower=interest - central - local)
