"""Post-loan monitoring, clause 4.2: funds are used as declared; diversion to an enterprise
(户贷企用) or non-productive use is misuse, charged at the misuse penalty rate from the finding
until it is corrected, and it blocks renewal and extension."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class FundUse(StrEnum):
    as_declared = "as_declared"
    diverted_to_enterprise = "diverted_to_enterprise"
    non_productive_use = "non_productive_use"
    business_failed = "business_failed"
    unreachable = "unreachable"


MISUSE = frozenset({FundUse.diverted_to_enterprise, FundUse.non_productive_use})
DEFAULT_VISIT_INTERVAL_DAYS = 180


def is_misuse(finding: FundUse) -> bool:
    return finding in MISUSE


def next_visit_due(last_visit: date | None, value_date: date, interval_days: int) -> date:
    return (last_visit or value_date) + timedelta(days=interval_days)
