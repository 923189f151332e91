"""Business dates are Asia/Shanghai calendar dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_today() -> date:
    return datetime.now(SHANGHAI).date()
