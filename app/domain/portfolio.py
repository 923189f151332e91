"""Portfolio quality rules: the NPL tolerance (3.1) and risk compensation (1.7, 4.4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import fen
from app.domain.regional import ratio

# 3.1: a product NPL ratio within the bank's own NPL ratio + 3 percentage points is tolerated.
NPL_TOLERANCE_POINTS = Decimal("0.03")


@dataclass(frozen=True, slots=True)
class Tolerance:
    product_npl_ratio: Decimal
    bank_npl_ratio: Decimal
    limit: Decimal
    within: bool
    clause: str = "3.1"


def npl_tolerance(product_npl_ratio: Decimal, bank_npl_ratio: Decimal) -> Tolerance:
    limit = bank_npl_ratio + NPL_TOLERANCE_POINTS
    return Tolerance(product_npl_ratio, bank_npl_ratio, limit, product_npl_ratio <= limit)


def period_npl_ratio(npl_balance: Decimal, balance: Decimal, written_off: Decimal) -> Decimal:
    """3.1, 4.4: the principal written off in the period counts as non-performing in that
    period's test (in the NPL balance and in the balance it is a share of), so writing a loan
    off never brings a county inside the tolerance."""
    return ratio(npl_balance + written_off, balance + written_off)


def compensation(npl_principal: Decimal, fund_share: Decimal, tolerance: Tolerance) -> Decimal:
    """4.4: NPLs within the tolerance may be compensated from the county's fund, by its share."""
    if not tolerance.within or not 0 <= fund_share <= 1:
        return Decimal("0.00")
    return fen(npl_principal * fund_share)
