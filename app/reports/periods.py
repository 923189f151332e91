"""Reporting periods: a quarter ('2026Q3') or a month ('2026-07')."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from app.core.i18n import Said
from app.core.problems import Problem

PERIOD_PATTERN = r"^(19|20|21)\d{2}(Q[1-4]|-(0[1-9]|1[0-2]))$"


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    start: date
    end: date

    @property
    def month_ends(self) -> list[date]:
        ends = []
        year, month = self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            ends.append(date(year, month, calendar.monthrange(year, month)[1]))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return ends

    @property
    def previous(self) -> Period:
        """The period before (of the same kind), even before the first a caller may ask for
        (1900Q1's is 1899Q4: a form's opening balances)."""
        before = date.fromordinal(self.start.toordinal() - 1)
        if "Q" in self.code:
            return _period(f"{before.year}Q{(before.month - 1) // 3 + 1}")
        return _period(f"{before.year}-{before.month:02d}")


def parse(code: str) -> Period:
    if not re.fullmatch(PERIOD_PATTERN, code):
        raise Problem(
            422,
            Said(
                "期间应为季度（如 2026Q3）或月份（如 2026-07）",
                "period is a quarter like 2026Q3 or a month like 2026-07",
            ),
            slug="validation-error",
        )
    return _period(code)


def _period(code: str) -> Period:
    year = int(code[:4])
    if "Q" in code:
        quarter = int(code[-1])
        first, last = 3 * quarter - 2, 3 * quarter
    else:
        first = last = int(code[5:])
    return Period(code, date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]))
