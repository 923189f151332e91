"""Regional controls, clause 4.3: high or fast-rising overdue rates raise an alert; extremely
high overdue or NPL rates recommend suspending new assistance lending there (a risk manager
confirms it). The thresholds are the bank's configuration; the defaults are documented here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.money import precise_div
from app.domain.wording import Said


@dataclass(frozen=True, slots=True)
class Thresholds:
    alert_overdue_ratio: Decimal = Decimal("0.05")
    alert_overdue_growth: Decimal = Decimal("0.02")  # percentage points in a month
    suspend_overdue_ratio: Decimal = Decimal("0.15")
    suspend_npl_ratio: Decimal = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class Figures:
    balance: Decimal
    overdue_balance: Decimal
    npl_balance: Decimal


@dataclass(frozen=True, slots=True)
class Assessment:
    overdue_ratio: Decimal
    npl_ratio: Decimal
    overdue_growth: Decimal | None
    npl_growth: Decimal | None
    alert: bool
    suspension_recommended: bool
    reasons: list[Said] = field(default_factory=list)


def _pct(value: Decimal) -> str:
    return f"{value * 100:.2f}%"


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return precise_div(part, whole).quantize(Decimal("0.000001"))


def assess(now: Figures, month_ago: Figures | None, limits: Thresholds) -> Assessment:
    overdue = ratio(now.overdue_balance, now.balance)
    npl = ratio(now.npl_balance, now.balance)
    overdue_growth = npl_growth = None
    if month_ago is not None:
        overdue_growth = overdue - ratio(month_ago.overdue_balance, month_ago.balance)
        npl_growth = npl - ratio(month_ago.npl_balance, month_ago.balance)
    reasons = []
    if overdue >= limits.alert_overdue_ratio:
        reasons.append(
            Said(
                f"4.3 逾期率 {_pct(overdue)}，达到预警线 {_pct(limits.alert_overdue_ratio)}",
                f"4.3 overdue ratio {overdue} ≥ alert level {limits.alert_overdue_ratio}",
            )
        )
    if overdue_growth is not None and overdue_growth >= limits.alert_overdue_growth:
        reasons.append(
            Said(
                f"4.3 逾期率一个月内上升 {_pct(overdue_growth)}，"
                f"达到预警线 {_pct(limits.alert_overdue_growth)}",
                f"4.3 overdue ratio rose {overdue_growth} in a month"
                f" (≥ {limits.alert_overdue_growth})",
            )
        )
    suspend = []
    if overdue >= limits.suspend_overdue_ratio:
        suspend.append(
            Said(
                f"4.3 逾期率 {_pct(overdue)}，达到暂停线 {_pct(limits.suspend_overdue_ratio)}",
                f"4.3 overdue ratio {overdue} ≥ suspension level {limits.suspend_overdue_ratio}",
            )
        )
    if npl >= limits.suspend_npl_ratio:
        suspend.append(
            Said(
                f"4.3 不良率 {_pct(npl)}，达到暂停线 {_pct(limits.suspend_npl_ratio)}",
                f"4.3 NPL ratio {npl} ≥ suspension level {limits.suspend_npl_ratio}",
            )
        )
    return Assessment(
        overdue,
        npl,
        overdue_growth,
        npl_growth,
        alert=bool(reasons or suspend),
        suspension_recommended=bool(suspend),
        reasons=reasons + suspend,
    )
