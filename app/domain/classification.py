"""Five-class risk classification (五级分类) from days past due, under the 2023 rules for
classifying financial assets by risk, with officer overrides and the restructuring floor.

1–90 days past due → at least special mention; > 90 → at least substandard; > 270 → at least
doubtful; > 360 → loss. An officer may set a class worse, with a reason, never better than the
days past due allow. A renewal alone never worsens the class (notice 3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


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

RESTRUCTURING_OBSERVATION_DAYS = 365


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


class OverrideTooLenientError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Restructuring:
    """An extension or renewal granted to a borrower in difficulty (anything overdue)."""

    granted_on: date

    def floor_on(self, day: date) -> RiskClass:
        observed = (day - self.granted_on).days < RESTRUCTURING_OBSERVATION_DAYS
        return RiskClass.special_mention if observed else RiskClass.normal


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


def check_override(
    proposed: RiskClass, days_past_due: int, on: date, restructuring: Restructuring | None = None
) -> None:
    """An officer may only make the class worse than the rules' floor."""
    floor = classify(days_past_due, on, restructuring=restructuring)
    if proposed.severity < floor.severity:
        raise OverrideTooLenientError(
            f"{proposed} is better than {floor}, which {days_past_due} days past due require"
        )


def carried_by_renewal(previous: RiskClass) -> tuple[RiskClass, RiskClass | None]:
    """Clause 3.1: a renewal alone never moves the loan to a worse class, so the new loan starts
    at the old one's class. Nor does renewing improve it: a class worse than special mention
    is kept as an override until an officer reviews it. (With anything overdue, the
    restructuring floor applies on top.) Returns (class, override)."""
    keep = previous if previous.severity > RiskClass.special_mention.severity else None
    return previous, keep
