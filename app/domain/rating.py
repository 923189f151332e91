"""Credit rating (评级授信), clause 2.2: an explainable, versioned scorecard.

The officer gathers the inputs; the scorecard awards points per factor with a reason code for
each point won or lost, maps the score to a grade, and grants a credit line no larger than the
grade allows, what repayment capacity supports, or the product cap (1.2). The rating is valid
for one production cycle, at most a year (2.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from app.domain.labels import label
from app.domain.policy import CURRENT
from app.domain.schedule import add_months


class VillageOpinion(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


@dataclass(frozen=True, slots=True)
class RatingInputs:
    annual_household_income: Decimal
    annual_production_income: Decimal
    assets: Decimal
    liabilities: Decimal
    annual_existing_repayments: Decimal
    production_experience_years: int
    bureau_current_overdue: bool
    bureau_worst_days_past_due_24m: int
    bureau_major_bad_record: bool
    village_opinion: VillageOpinion
    production_cycle_months: int


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    points: int
    max_points: int
    detail: str  # English
    # the same words in Chinese: what the English says is what a reason is (equality)
    detail_zh: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Rating:
    scorecard_version: str
    score: int
    grade: str
    credit_limit: Decimal
    valid_from: date
    valid_until: date
    reasons: list[Reason]


@dataclass(frozen=True, slots=True)
class Scorecard:
    version: str
    grade_floors: tuple[tuple[str, int], ...]  # best first
    grade_caps: dict[str, Decimal]
    debt_service_share: Decimal  # share of income that may go to repayments
    capacity_years: int  # years of free cash a line may represent
    line_step: Decimal  # lines are granted in whole steps


SCORECARD_2026_1 = Scorecard(
    version="SCORECARD_2026_1",
    grade_floors=(("AAA", 85), ("AA", 70), ("A", 55), ("B", 40), ("C", 0)),
    grade_caps={
        "AAA": Decimal("100000"),
        "AA": Decimal("80000"),
        "A": Decimal("50000"),
        "B": Decimal("30000"),
        "C": Decimal("0"),
    },
    debt_service_share=Decimal("0.6"),
    capacity_years=2,
    line_step=Decimal("1000"),
)


def _tiered(value: Decimal | int, tiers: list[tuple[Decimal | int, int]]) -> int:
    """Points of the first tier whose threshold `value` reaches (tiers best first)."""
    for threshold, points in tiers:
        if value >= threshold:
            return points
    return 0


def _debt_service(i: RatingInputs) -> Reason:
    if i.annual_household_income <= 0:
        return Reason("debt_service_ratio", 0, 25, "no household income declared", "未申报家庭收入")
    ratio = i.annual_existing_repayments / i.annual_household_income
    points = (
        25
        if ratio <= Decimal("0.2")
        else 15
        if ratio <= Decimal("0.4")
        else (5 if ratio <= Decimal("0.6") else 0)
    )
    return Reason(
        "debt_service_ratio",
        points,
        25,
        f"existing repayments {ratio:.0%} of income",
        f"现有还款占收入 {ratio:.0%}",
    )


def _production_share(i: RatingInputs) -> Reason:
    if i.annual_household_income <= 0:
        return Reason(
            "production_income_share", 0, 15, "no household income declared", "未申报家庭收入"
        )
    share = i.annual_production_income / i.annual_household_income
    points = _tiered(share, [(Decimal("0.5"), 15), (Decimal("0.25"), 8)])
    return Reason(
        "production_income_share",
        points,
        15,
        f"production income {share:.0%}",
        f"生产经营收入占 {share:.0%}",
    )


def _net_worth(i: RatingInputs) -> Reason:
    net = i.assets - i.liabilities
    points = _tiered(net, [(Decimal("100000"), 15), (Decimal("30000"), 10), (Decimal("0"), 5)])
    return Reason("net_worth", points, 15, f"assets less liabilities {net}", f"资产减负债 {net} 元")


def _experience(i: RatingInputs) -> Reason:
    years = i.production_experience_years
    points = _tiered(years, [(5, 15), (2, 10), (1, 5)])
    return Reason(
        "production_experience", points, 15, f"{years} years of production", f"生产经营 {years} 年"
    )


def _bureau(i: RatingInputs) -> Reason:
    worst = i.bureau_worst_days_past_due_24m
    if i.bureau_current_overdue or worst > 90:
        points = 0
    else:
        points = 20 if worst == 0 else 12 if worst <= 30 else 5
    return Reason(
        "credit_bureau",
        points,
        20,
        f"current overdue {i.bureau_current_overdue}, worst {worst} days in 24 months",
        f"{'有' if i.bureau_current_overdue else '无'}当前逾期，近 24 个月最长逾期 {worst} 天",
    )


def _village(i: RatingInputs) -> Reason:
    points = {VillageOpinion.positive: 10, VillageOpinion.neutral: 5}.get(i.village_opinion, 0)
    return Reason(
        "village_committee_opinion",
        points,
        10,
        f"opinion {i.village_opinion}",
        f"评议意见：{label(i.village_opinion)}",
    )


def capacity_line(i: RatingInputs, card: Scorecard) -> Decimal:
    free_cash = i.annual_household_income * card.debt_service_share - i.annual_existing_repayments
    return max(free_cash * card.capacity_years, Decimal(0))


def rate(i: RatingInputs, rated_on: date, card: Scorecard = SCORECARD_2026_1) -> Rating:
    if not 1 <= i.production_cycle_months <= 12:
        raise ValueError("the production cycle must be 1–12 months")
    reasons = [
        _debt_service(i),
        _production_share(i),
        _net_worth(i),
        _experience(i),
        _bureau(i),
        _village(i),
    ]
    score = sum(r.points for r in reasons)
    grade = next(g for g, floor in card.grade_floors if score >= floor)
    if i.bureau_major_bad_record:
        grade = "C"
        reasons.append(
            Reason(
                "major_bad_record",
                0,
                0,
                "knock-out: major bad credit record",
                "一票否决：有重大不良信用记录",
            )
        )
    capacity = capacity_line(i, card)
    line = min(card.grade_caps[grade], capacity, CURRENT.amount_cap)
    line = (line / card.line_step).to_integral_value(rounding=ROUND_DOWN) * card.line_step
    reasons.append(
        Reason(
            "credit_line",
            0,
            0,
            f"min(grade cap {card.grade_caps[grade]}, capacity {capacity:.2f},"
            f" product cap {CURRENT.amount_cap})",
            f"取等级上限 {card.grade_caps[grade]} 元、还款能力 {capacity:.2f} 元、"
            f"产品上限 {CURRENT.amount_cap} 元中的最低者",
        )
    )
    valid_until = add_months(rated_on, i.production_cycle_months) - timedelta(days=1)
    return Rating(
        card.version, score, grade, line.quantize(Decimal("0.01")), rated_on, valid_until, reasons
    )
