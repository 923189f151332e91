"""Five-class risk classification (五级分类) from days past due, under the 2023 rules for
classifying financial assets by risk, with officer overrides and the restructuring floor.

1–90 days past due → at least special mention; > 90 → at least substandard; > 270 → at least
doubtful; > 360 → loss. A risk manager may set a class worse, with a reason, never better. A
renewal alone never worsens the class (notice 3.1); a restructuring never improves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.rules import RuleResult, rule
from app.domain.schedule import add_months


class RiskClass(StrEnum):
    normal = "normal"  # 正常
    special_mention = "special_mention"  # 关注
    substandard = "substandard"  # 次级
    doubtful = "doubtful"  # 可疑
    loss = "loss"  # 损失

    @property
    def severity(self) -> int:
        return _ORDER.index(self)

    @property
    def non_performing(self) -> bool:
        return self.severity >= RiskClass.substandard.severity


_ORDER = [
    RiskClass.normal,
    RiskClass.special_mention,
    RiskClass.substandard,
    RiskClass.doubtful,
    RiskClass.loss,
]


def worst(*classes: RiskClass) -> RiskClass:
    return max(classes, key=lambda c: c.severity)


# (more than N days past due, at least this class), worst first. The end-of-day batch builds
# its SQL from this table, so the thresholds live here only.
DAYS_PAST_DUE_FLOORS: tuple[tuple[int, RiskClass], ...] = (
    (360, RiskClass.loss),
    (270, RiskClass.doubtful),
    (90, RiskClass.substandard),
    (0, RiskClass.special_mention),
)


def floor_from_days_past_due(days_past_due: int) -> RiskClass:
    for threshold, floor in DAYS_PAST_DUE_FLOORS:
        if days_past_due > threshold:
            return floor
    return RiskClass.normal


@dataclass(frozen=True, slots=True)
class Restructuring:
    """An extension or renewal granted to a borrower in difficulty (anything overdue), under
    the 2023 classification rules: the loan is at least special mention, and never better than
    its class before the change (a non-performing loan stays non-performing), through an
    observation period. A loan that fell overdue during the observation stays restructured."""

    class_before: RiskClass
    observation_start: date
    observation_end: date
    breached: bool = False

    @property
    def floor(self) -> RiskClass:
        return restructured_floor(self.class_before)

    def floor_on(self, day: date) -> RiskClass:
        return self.floor if self.observing(day) else RiskClass.normal

    def observing(self, day: date) -> bool:
        return day <= self.observation_end or self.breached


def restructured_floor(class_before: RiskClass) -> RiskClass:
    """A restructured loan is at least special mention and never better than before the
    change: restructuring alone never improves a class."""
    return worst(RiskClass.special_mention, class_before)


OBSERVATION_MIN_PERIODS = 2  # at least two consecutive repayment periods …
OBSERVATION_MIN_MONTHS = 12  # … and at least a year


def observation_period(changed_on: date, due_dates: list[date]) -> tuple[date, date]:
    """(start, end) of a restructured loan's observation: it starts at the first repayment
    date after the change and covers at least two consecutive repayment periods after it and
    at least a year (or runs to maturity when fewer periods remain)."""
    upcoming = sorted(d for d in due_dates if d > changed_on)
    if not upcoming:
        raise ValueError("no repayment date after the change")
    start = upcoming[0]
    periods_end = upcoming[min(OBSERVATION_MIN_PERIODS, len(upcoming) - 1)]
    return start, max(periods_end, add_months(start, OBSERVATION_MIN_MONTHS))


def classify(
    days_past_due: int,
    on: date,
    *,
    override: RiskClass | None = None,
    restructuring: Restructuring | None = None,
) -> RiskClass:
    """The loan's class on `on`: the worst of the overdue floor, the restructuring floor and
    an officer's override."""
    floor = floor_from_days_past_due(days_past_due)
    if restructuring is not None:
        floor = worst(floor, restructuring.floor_on(on))
    return worst(floor, override) if override is not None else floor


def check_class_change(proposed: RiskClass, current: RiskClass) -> RuleResult:
    """A risk manager may make a loan's class worse, with a reason; a better class only comes
    from the rules themselves (days past due, the end of a restructuring's observation)."""
    ok = proposed.severity >= current.severity
    return rule(
        "class_only_worsened",
        "3.1",
        ok,
        f"风险分类由{current.value}调整为{proposed.value}"
        if ok
        else f"不能将风险分类由{current.value}上调为{proposed.value}："
        "只有逾期天数或重组观察期规则可以改善分类",
        f"The class moves from {current.value} to {proposed.value}"
        if ok
        else f"The class cannot improve from {current.value} to {proposed.value} by hand:"
        " only days past due and a completed restructuring observation improve it",
    )


def override_needs_a_decision(proposed: RiskClass, days_past_due: int) -> bool:
    """Clause 3.1: a class of doubtful or loss that the days past due do not give is not one
    person's call: it opens the way to write-off (2.1) and to the risk-compensation fund (4.4),
    so it rests on evidence and a second risk manager's decision."""
    return (
        proposed.severity >= RiskClass.doubtful.severity
        and floor_from_days_past_due(days_past_due).severity < proposed.severity
    )


def check_override_evidence(
    proposed: RiskClass, days_past_due: int, evidence: list[str]
) -> RuleResult:
    """Clause 3.1: an override to doubtful or loss beyond what the days past due give names
    its evidence (a second risk manager decides it)."""
    ok = not override_needs_a_decision(proposed, days_past_due) or bool(evidence)
    return rule(
        "class_override_evidence",
        "3.1",
        ok,
        "分类调整有逾期天数或所列证据支撑"
        if ok
        else f"逾期 {days_past_due} 天不足以认定为{proposed.value}，"
        "须列明证据并经另一名风险经理审批",
        "The class rests on the days past due or on the evidence listed"
        if ok
        else f"{days_past_due} days past due do not make a loan {proposed.value}: list the "
        "evidence, and a second risk manager decides",
    )


def carried_by_renewal(
    previous: RiskClass, previous_override: RiskClass | None
) -> tuple[RiskClass, RiskClass | None]:
    """Clause 3.1 (不因续贷单独下调): a renewal alone never moves the loan to a worse class, nor
    does it improve it: the new loan starts at the old one's class and keeps an officer's
    override. (A renewal of a borrower in difficulty is a restructuring on top.)
    Returns (class, override)."""
    return previous, previous_override
