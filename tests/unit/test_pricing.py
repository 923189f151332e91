"""Rate guidance (1.4): the suggested rate is the sum of its parts, grade by grade, and the band
holds at its edges to the basis point."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.pricing import DEFAULT, Components, check_rate, suggest

D = Decimal


@pytest.mark.parametrize(
    ("grade", "rate"),
    # 2.50% funds − 0.50% transfer-pricing discount + 1.50% operating cost + the grade's premium
    [("AAA", "0.0350"), ("AA", "0.0375"), ("A", "0.0400"), ("B", "0.0450"), ("C", "0.0500")],
)
def test_the_suggested_rate_is_its_parts(grade: str, rate: str) -> None:
    found = suggest(DEFAULT, grade)
    assert found.rate == D(rate) == sum(p.rate for p in found.parts)
    assert [p.code for p in found.parts] == [
        "cost_of_funds",
        "transfer_pricing_discount",
        "operating_cost",
        "risk_premium",
    ]
    assert found.parts[1].rate < 0  # the discount lowers it; nothing is taken off for subsidy
    assert (found.lowest, found.highest) == (D(rate) - D("0.01"), D(rate) + D("0.01"))


def test_the_band_at_its_edges() -> None:
    found = suggest(DEFAULT, "A")  # 4.00%, band 3.00%–5.00%
    for rate, passed in (("0.0300", True), ("0.0299", False), ("0.0500", True), ("0.0501", False)):
        assert check_rate(found, D(rate), None).passed is passed, rate
    assert check_rate(found, D("0.0600"), "客户为新型经营主体带头人，风险较低").passed
    assert not check_rate(found, D("0.0600"), "   ").passed
    assert check_rate(found, D("0.0600"), None).clause == "1.4"


def test_never_below_zero() -> None:
    cheap = Components(D("0.001"), D("0.05"), D("0"), {"A": D("0")}, D("0.01"))
    assert suggest(cheap, "A").rate == 0 and suggest(cheap, "A").lowest == 0
