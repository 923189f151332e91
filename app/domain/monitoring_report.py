"""The monthly monitoring report (帮扶小额信贷监测月报; 5.3 跟踪政策执行效果, 3.4 信息共享): each
county's figures at a month's end, their total, and their change on the month before and on the
same month a year before. Aggregates only: counts, amounts, ratios; never a person.

A county's month is produced once its day is closed; produced again after a correction it is a
new revision only where a figure changed, so a department sees what changed and when, never a
silent rewrite."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.domain.money import ZERO

# Summed over counties as they are.
COUNTS = (
    "households_served",
    "active_loans",
    "new_loans",
    "closed_loans",
    "overdue_loans",
    "npl_loans",
    "renewals",
    "extensions",
    "write_offs",
    "suspensions",
)
AMOUNTS = (
    "balance",
    "new_amount",
    "central_subsidy",
    "local_subsidy",
    "overdue_balance",
    "npl_balance",
    "written_off_principal",
)
# Worked out again from the sums: a total's ratio is not the sum of the counties'.
DERIVED = ("average_amount", "average_rate", "overdue_ratio", "npl_ratio")
# The figures whose change on the month and on the year the report shows.
TRACKED = (
    "households_served",
    "active_loans",
    "balance",
    "new_amount",
    "overdue_ratio",
    "npl_ratio",
)


def derived(figures: dict[str, Any], rate_weighted_sum: Decimal) -> dict[str, str]:
    """The averages and ratios of summed figures; `rate_weighted_sum` is Σ rate × amount of the
    month's new loans (the average rate weighs each loan by its amount)."""
    new_amount = Decimal(figures["new_amount"])
    balance = Decimal(figures["balance"])
    return {
        "average_amount": _quotient(new_amount, Decimal(figures["new_loans"]), "0.01"),
        "average_rate": _quotient(rate_weighted_sum, new_amount, "0.000001"),
        "overdue_ratio": _quotient(Decimal(figures["overdue_balance"]), balance, "0.000001"),
        "npl_ratio": _quotient(Decimal(figures["npl_balance"]), balance, "0.000001"),
    }


def total(counties: list[dict[str, Any]]) -> dict[str, Any]:
    """The counties' figures summed, their averages and ratios worked out again."""
    summed: dict[str, Any] = {k: sum(int(c[k]) for c in counties) for k in COUNTS}
    summed |= {k: str(sum((Decimal(c[k]) for c in counties), ZERO)) for k in AMOUNTS}
    weighted = sum((Decimal(c["average_rate"]) * Decimal(c["new_amount"]) for c in counties), ZERO)
    return summed | derived(summed, weighted)


def changes(now: dict[str, Any], before: dict[str, Any] | None) -> dict[str, str | None]:
    """Each tracked figure's change from `before` (None where there is no earlier report)."""
    if before is None:
        return dict.fromkeys(TRACKED)
    return {k: str(Decimal(str(now[k])) - Decimal(str(before[k]))) for k in TRACKED}


def _quotient(numerator: Decimal, denominator: Decimal, places: str) -> str:
    if denominator == 0:
        return str(Decimal(0).quantize(Decimal(places)))
    return str((numerator / denominator).quantize(Decimal(places)))
