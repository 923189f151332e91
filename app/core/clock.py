"""The business clock (issue 27): the one answer to "what day is it?" and "what time is it?".

- `today(session, region_code)`: a county's business date. It is the county's open date in the
  batch's calendar (`region_business_dates`), or the national date for a county whose calendar
  has not started (no loan paid out there yet); without a county, the national date.
  `county_day(open_date)` is the same rule for a caller that read the open date itself (the
  eligibility facts, in their one statement).
- `now()`: the instant, for stamps (who did what, when); not a business date.

The national date is Asia/Shanghai's calendar date, or `SIMULATED_TODAY` (tests, demos and
simulations; refused in production), so that nothing depends on the real date.
`tests/unit/test_one_clock.py` fails when anything else asks the wall clock for a date or time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The batch's calendar (app/batch/models.py, RegionBusinessDate), read here by name: the clock
# sits below every feature, the batch that keeps the calendar above most of them.
_OPEN_DATE = text("SELECT open_date FROM region_business_dates WHERE region_code = :code")
_OPEN_DATES = text(
    "SELECT region_code, open_date FROM region_business_dates WHERE region_code = ANY(:codes)"
)


def now(tz: tzinfo = SHANGHAI) -> datetime:
    """The instant, in `tz` (Asia/Shanghai unless given)."""
    return datetime.now(tz)


def _national_today() -> date:
    simulated = get_settings().simulated_today
    return simulated if simulated is not None else now().date()


def county_day(open_date: date | None) -> date:
    """A county's business date from its open date, if its calendar has started."""
    return open_date if open_date is not None else _national_today()


def open_date(session: Session, region_code: str) -> date | None:
    """A county's open date in the batch's calendar; None before its calendar starts."""
    found: date | None = session.scalar(_OPEN_DATE, {"code": region_code})
    return found


def open_dates(session: Session, region_codes: Iterable[str]) -> dict[str, date]:
    """Several counties' open dates in one read (a county whose calendar has not started is
    missing)."""
    codes = sorted(set(region_codes))
    if not codes:
        return {}
    rows = session.execute(_OPEN_DATES, {"codes": codes})
    return {code: day for code, day in rows}


def today(session: Session | None = None, region_code: str | None = None) -> date:
    """The business date of a county (with `session` and `region_code`), else the nation's."""
    if session is None or region_code is None:
        return _national_today()
    return county_day(open_date(session, region_code))
