"""Policy versions as data.

A loan pins the version in force on its contract date and every calculation for it uses that
version (notice 5.2: contracts signed before the notice keep the legacy terms for life).
The rules in this package read their limits from a `PolicyVersion`, never from literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.domain.wording import Said


class Purpose(StrEnum):
    planting = "planting"
    livestock = "livestock"
    aquaculture = "aquaculture"
    processing = "processing"
    trade = "trade"
    rural_tourism = "rural_tourism"
    farm_equipment = "farm_equipment"
    facility_agriculture = "facility_agriculture"
    other_production = "other_production"
    # Refused by clause 1.8: non-productive spending and handing the money to an enterprise.
    marriage = "marriage"
    housing = "housing"
    wealth_management = "wealth_management"
    household_goods = "household_goods"
    enterprise_use = "enterprise_use"
    relending = "relending"


PRODUCTIVE_PURPOSES = frozenset(
    {
        Purpose.planting,
        Purpose.livestock,
        Purpose.aquaculture,
        Purpose.processing,
        Purpose.trade,
        Purpose.rural_tourism,
        Purpose.farm_equipment,
        Purpose.facility_agriculture,
        Purpose.other_production,
    }
)
REFUSED_PURPOSES = frozenset(set(Purpose) - PRODUCTIVE_PURPOSES)


class RepaymentMethod(StrEnum):
    equal_installment = "equal_installment"  # 等额本息
    equal_principal = "equal_principal"  # 等额本金
    interest_then_principal = "interest_then_principal"  # 按期付息到期还本
    bullet = "bullet"  # 利随本清


@dataclass(frozen=True, slots=True)
class CentralSubsidyRule:
    """Clause 1.6: central subsidy = min(share × contract rate, cap)."""

    share_of_rate: Decimal
    rate_cap: Decimal

    def rate_for(self, contract_rate: Decimal) -> Decimal:
        return min(self.share_of_rate * contract_rate, self.rate_cap)


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    code: str
    title: str
    effective_from: date
    amount_cap: Decimal  # clause 1.2
    term_months_min: int  # clause 1.3
    term_months_max: int
    age_min: int  # clause 1.9
    age_max: int
    guarantee_allowed: bool  # clause 1.5
    productive_purposes: frozenset[Purpose]  # clause 1.8
    refused_purposes: frozenset[Purpose]
    # Clause 1.6. None: the subsidy was set locally and is carried on each contract (legacy).
    central_subsidy: CentralSubsidyRule | None
    subsidised_principal_cap: Decimal
    subsidised_principal_cap_large: Decimal
    renewals_or_extensions_allowed: int  # clause 2.3, per loan chain


NOTICE_DATE = date(2026, 2, 24)  # the notice is signed and in force (5.2)
TRANSITION_END = date(2025, 12, 31)  # end of the transition period (2.3, 5.2)

LEGACY_2021 = PolicyVersion(
    code="LEGACY_2021",
    title="脱贫人口小额信贷 (银保监发〔2021〕6号)",
    effective_from=date(2021, 3, 1),
    amount_cap=Decimal("50000.00"),
    term_months_min=1,
    term_months_max=36,
    age_min=18,
    age_max=65,
    guarantee_allowed=False,
    productive_purposes=PRODUCTIVE_PURPOSES,
    refused_purposes=REFUSED_PURPOSES,
    central_subsidy=None,
    subsidised_principal_cap=Decimal("50000.00"),
    subsidised_principal_cap_large=Decimal("50000.00"),
    renewals_or_extensions_allowed=1,
)

ASSIST_2026 = PolicyVersion(
    code="ASSIST_2026",
    title="帮扶小额信贷 (关于做好帮扶小额信贷工作的通知, 2026-02-24)",
    effective_from=NOTICE_DATE,
    amount_cap=Decimal("100000.00"),
    term_months_min=1,
    term_months_max=36,
    age_min=18,
    age_max=65,
    guarantee_allowed=False,
    productive_purposes=PRODUCTIVE_PURPOSES,
    refused_purposes=REFUSED_PURPOSES,
    central_subsidy=CentralSubsidyRule(share_of_rate=Decimal("0.7"), rate_cap=Decimal("0.025")),
    subsidised_principal_cap=Decimal("50000.00"),
    subsidised_principal_cap_large=Decimal("100000.00"),
    renewals_or_extensions_allowed=1,
)

# Ordered by effective date; the last one whose date has come governs.
POLICY_VERSIONS: tuple[PolicyVersion, ...] = (LEGACY_2021, ASSIST_2026)
CURRENT = ASSIST_2026


def policy_for(
    contract_date: date, versions: tuple[PolicyVersion, ...] = POLICY_VERSIONS
) -> PolicyVersion:
    """The version in force on `contract_date` (clause 5.2)."""
    governing = [v for v in versions if v.effective_from <= contract_date]
    if not governing:
        raise ValueError(
            Said(
                f"{contract_date} 没有生效的帮扶小额信贷政策",
                f"no assistance-loan policy was in force on {contract_date}",
            )
        )
    return governing[-1]


def policy_by_code(code: str) -> PolicyVersion:
    for version in POLICY_VERSIONS:
        if version.code == code:
            return version
    raise KeyError(code)


def is_legacy(version: PolicyVersion) -> bool:
    return version.central_subsidy is None


@dataclass(frozen=True, slots=True)
class LprQuote:
    """The loan prime rates (贷款市场报价利率) published for a date, in force until the next."""

    effective_from: date
    one_year: Decimal
    five_year: Decimal


def lpr_in_force(on: date, quotes: list[LprQuote]) -> LprQuote | None:
    known = [q for q in quotes if q.effective_from <= on]
    return max(known, key=lambda q: q.effective_from) if known else None


LEGACY_ONE_YEAR_TERM_MONTHS = 12


def legacy_rate_ceiling(term_months: int, quote: LprQuote) -> Decimal:
    """银保监发〔2021〕6号: a legacy loan's rate is at most the 1-year LPR for terms up to a year
    and the 5-year LPR for longer terms, as published when it was signed."""
    return quote.one_year if term_months <= LEGACY_ONE_YEAR_TERM_MONTHS else quote.five_year


def legacy_contract_problems(
    signed_on: date,
    principal: Decimal,
    term_months: int,
    annual_rate: Decimal,
    central_rate: Decimal,
    local_rate: Decimal,
    subsidised_principal: Decimal,
    lpr: LprQuote | None,
) -> list[Said]:
    """Why a contract brought over from the earlier system is not a legacy loan, if it isn't
    (clause 5.2; limits of 银保监发〔2021〕6号). `lpr` is the quote in force on `signed_on`."""
    problems = []
    if lpr is None:
        problems.append(
            Said(
                f"5.2 没有 {signed_on} 适用的贷款市场报价利率（LPR）记录",
                f"5.2 no loan prime rate is recorded for {signed_on}",
            )
        )
    elif annual_rate > (ceiling := legacy_rate_ceiling(term_months, lpr)):
        one_year = term_months <= LEGACY_ONE_YEAR_TERM_MONTHS
        problems.append(
            Said(
                f"5.2 利率 {annual_rate} 超过 {signed_on} 适用的"
                f"{'1 年期' if one_year else '5 年期'} LPR {ceiling}（{lpr.effective_from} 公布）",
                f"5.2 the rate {annual_rate} exceeds the {'1-year' if one_year else '5-year'}"
                f" LPR {ceiling} in force on {signed_on} ({lpr.effective_from})",
            )
        )
    if signed_on >= NOTICE_DATE:
        problems.append(
            Said(
                f"5.2 签订于 {signed_on}，在本通知发布之日或之后，不是存量贷款",
                f"5.2 signed on {signed_on}, on or after the notice: not a legacy loan",
            )
        )
    if not 0 < principal <= LEGACY_2021.amount_cap:
        problems.append(
            Said(
                f"5.2 存量贷款金额至多为 {LEGACY_2021.amount_cap}",
                f"5.2 legacy amounts are at most {LEGACY_2021.amount_cap}",
            )
        )
    if not LEGACY_2021.term_months_min <= term_months <= LEGACY_2021.term_months_max:
        problems.append(
            Said(
                f"5.2 存量贷款期限至多 {LEGACY_2021.term_months_max} 个月",
                f"5.2 legacy terms are at most {LEGACY_2021.term_months_max} months",
            )
        )
    if central_rate < 0 or local_rate < 0 or central_rate + local_rate > annual_rate:
        problems.append(
            Said(
                "1.6 贴息利率不得为负，且合计不得超过合同利率",
                "1.6 subsidy rates must be non-negative and within the contract rate",
            )
        )
    if not 0 <= subsidised_principal <= principal:
        problems.append(
            Said(
                "1.6 贴息本金不得超过贷款本金",
                "1.6 the subsidised principal must be within the principal",
            )
        )
    return problems
