"""The claim form's tally (app/reports/form.py): each county's lines counted and summed from
the chunks the sheet shows it, whichever chunk a county's lines fall in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.reports.form import ClaimedSums, SheetLine, Tally
from app.reports.service import CountyClaim


def _line(county: str, figure: Decimal) -> SheetLine:
    return SheetLine(
        county, county, "draft", "c", "张** 4201**", "ASSIST_2026", Decimal("10000.00"),
        date(2026, 1, 5), 12, Decimal("0.0365"),
        figure, figure * 2, figure * 3, figure * 4, figure * 5, figure * 6, figure * 7, figure * 8,
    )  # fmt: skip


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["420101", "420102", "420103"]),
            st.decimals(min_value=-1000, max_value=1000, places=2),
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=7),
)
def test_each_county_s_count_and_sums_are_its_lines_whatever_the_chunks(
    given_lines: list[tuple[str, Decimal]], chunk: int
) -> None:
    lines = sorted((_line(county, figure) for county, figure in given_lines), key=lambda x: x[0])
    tally = Tally()
    for start in range(0, len(lines), chunk):
        tally.seen(list(zip(*lines[start : start + chunk], strict=True)))
    for county in ("420101", "420102", "420103"):
        own = [line for line in lines if line.region_code == county]
        base = sum((line.balance_start for line in own), Decimal(0))
        claim = tally.claimed(
            CountyClaim(county, "draft", None, loans=99, central_subsidy=Decimal(1))
        )
        assert claim.loans == len(own)
        assert (claim.central_subsidy, claim.local_adjustment) == (base * 5, base * 8)
        if own:
            assert tally.sums()[county] == ClaimedSums(base, base * 2, base * 3, base * 4)
        else:
            assert county not in tally.sums()
