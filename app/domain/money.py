"""Money and rates: Decimal only, CNY to the fen, rounded half-up once per posted amount."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_IN_YEAR = Decimal(360)  # Chinese bank convention: daily rate = annual rate / 360
MONTHS_IN_YEAR = Decimal(12)


def fen(amount: Decimal) -> Decimal:
    """Round to the fen, half-up."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def precise_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Division with 40 significant digits, so that only the final posting rounds."""
    with localcontext() as ctx:
        ctx.prec = 40
        return numerator / denominator


def prorate(total: Decimal, part: int, whole: int) -> Decimal:
    """round(total × part / whole): the cumulative share of `total` after `part` of `whole`."""
    with localcontext() as ctx:
        ctx.prec = 40
        return fen(total * part / whole)


def spread(total: Decimal, parts: int) -> list[Decimal]:
    """Split `total` into `parts` amounts that differ by at most a fen and sum to it exactly.

    Each amount is the change in the rounded cumulative share, so no amount is negative."""
    cumulative = [prorate(total, k, parts) for k in range(parts + 1)]
    return [cumulative[k + 1] - cumulative[k] for k in range(parts)]


def daily_interest(balance: Decimal, annual_rate: Decimal, days: int = 1) -> Decimal:
    """Interest outside a schedule: balance × annual rate × days / 360, rounded once."""
    with localcontext() as ctx:
        ctx.prec = 40
        return fen(balance * annual_rate * days / DAYS_IN_YEAR)
