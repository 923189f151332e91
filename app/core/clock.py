"""Business dates are Asia/Shanghai calendar dates. `SIMULATED_TODAY` fixes "today" for tests,
demos and simulations (refused in production), so that nothing depends on the real date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_today() -> date:
    simulated = get_settings().simulated_today
    return simulated if simulated is not None else datetime.now(SHANGHAI).date()
