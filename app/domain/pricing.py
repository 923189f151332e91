"""Rate guidance (notice 1.4: 综合考虑自身资金和管理成本、贷款户的信用评级和还款能力以及财政贴息等
因素，合理确定贷款利率). A suggested contract rate, built up from the bank's own figures: its cost
of funds, less the internal transfer-pricing discount the bank gives this product, plus its
operating cost and a risk premium by the household's rating grade. Nothing is taken off for the
subsidy: the rate is the bank's, and the subsidy is paid on it (1.6). The officer's rate may
differ within a band; outside it, with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.domain.rules import RuleResult, rule

RATE_PLACES = Decimal("0.0001")  # rates are quoted to a basis point


@dataclass(frozen=True, slots=True)
class Components:
    cost_of_funds: Decimal
    transfer_pricing_discount: Decimal  # subtracted: the bank's internal support for the product
    operating_cost: Decimal
    risk_premium: Mapping[str, Decimal]  # by rating grade
    band: Decimal  # how far the officer's rate may stray without a reason


@dataclass(frozen=True, slots=True)
class Part:
    code: str
    label_zh: str
    rate: Decimal  # signed: the discount is negative


@dataclass(frozen=True, slots=True)
class Suggestion:
    grade: str
    rate: Decimal
    parts: tuple[Part, ...]
    lowest: Decimal
    highest: Decimal


DEFAULT = Components(
    cost_of_funds=Decimal("0.0250"),
    transfer_pricing_discount=Decimal("0.0050"),
    operating_cost=Decimal("0.0150"),
    risk_premium={
        "AAA": Decimal("0.0000"),
        "AA": Decimal("0.0025"),
        "A": Decimal("0.0050"),
        "B": Decimal("0.0100"),
        "C": Decimal("0.0150"),
    },
    band=Decimal("0.0100"),
)


def suggest(components: Components, grade: str) -> Suggestion:
    """The suggested rate for a household of `grade`, with its parts (they add up to it)."""
    parts = (
        Part("cost_of_funds", "资金成本", components.cost_of_funds),
        Part(
            "transfer_pricing_discount",
            "内部资金转移定价优惠",
            -components.transfer_pricing_discount,
        ),
        Part("operating_cost", "管理成本", components.operating_cost),
        Part("risk_premium", f"风险溢价（信用等级{grade}）", components.risk_premium[grade]),
    )
    rate = max(sum((p.rate for p in parts), Decimal(0)), Decimal(0)).quantize(RATE_PLACES)
    return Suggestion(
        grade=grade,
        rate=rate,
        parts=parts,
        lowest=max(rate - components.band, Decimal(0)),
        highest=rate + components.band,
    )


def check_rate(suggestion: Suggestion, chosen: Decimal, reason: str | None) -> RuleResult:
    """Within the band, any rate; outside it, only with a reason on record."""
    ok = suggestion.lowest <= chosen <= suggestion.highest or bool(reason and reason.strip())
    return rule(
        "rate_guidance",
        "1.4",
        ok,
        "合同利率在建议利率区间内，或已说明理由"
        if ok
        else f"合同利率超出建议区间{suggestion.lowest}–{suggestion.highest}，须说明理由",
        "The rate is within the suggested band, or a reason is given"
        if ok
        else f"The rate is outside the suggested band {suggestion.lowest}–{suggestion.highest}:"
        " give a reason",
    )
