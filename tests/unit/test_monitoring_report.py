"""The monthly monitoring report's arithmetic (issue 30): a total is the counties summed with
its ratios and averages worked out again (never the sum of the counties' ratios), and a
change is against the report before, or none."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.domain import monitoring_report as report


def _county(
    balance: str, overdue: str, new_loans: int, new_amount: str, rate: str
) -> dict[str, Any]:
    counted: dict[str, Any] = dict.fromkeys(report.COUNTS, 1) | {"new_loans": new_loans}
    counted |= dict.fromkeys(report.AMOUNTS, "0.00")
    counted |= {"balance": balance, "overdue_balance": overdue, "new_amount": new_amount}
    return counted | report.derived(counted, D(rate) * D(new_amount))


def test_a_total_works_its_ratios_out_again() -> None:
    a = _county("100000.00", "10000.00", 2, "60000.00", "0.04")
    b = _county("300000.00", "0.00", 1, "20000.00", "0.05")
    total = report.total([a, b])
    assert total["balance"] == "400000.00" and total["new_loans"] == 3
    assert total["overdue_ratio"] == "0.025000"  # 10,000 / 400,000, not 10% + 0%
    assert total["average_amount"] == "26666.67"
    assert total["average_rate"] == "0.042500"  # weighted by amount
    assert report.total([a]) == a


def test_a_change_is_against_the_report_before_or_none() -> None:
    a = _county("100000.00", "10000.00", 2, "60000.00", "0.04")
    b = _county("90000.00", "0.00", 1, "20000.00", "0.05")
    assert report.changes(a, None) == dict.fromkeys(report.TRACKED)
    moved = report.changes(a, b)
    assert moved["balance"] == "10000.00" and moved["overdue_ratio"] == "0.100000"


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**7, places=2),
            st.decimals(min_value=0, max_value=1, places=2),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_total_reconciles_with_its_counties(counties: list[tuple[D, D]]) -> None:
    rows = [
        _county(f"{balance:.2f}", f"{balance * share:.2f}", 1, "1000.00", "0.04")
        for balance, share in counties
    ]
    total = report.total(rows)
    assert D(total["balance"]) == sum((D(r["balance"]) for r in rows), D(0))
    assert D(total["overdue_balance"]) <= D(total["balance"])
    assert D("0") <= D(total["overdue_ratio"]) <= D("1")
