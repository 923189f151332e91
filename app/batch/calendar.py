"""Regions' open business dates (see RegionBusinessDate; a county's business date is
`app.core.clock.today`) and the lock that keeps the daily batch and the API's postings on one
region from interleaving."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.batch.models import RegionBusinessDate
from app.core import clock
from app.core.i18n import Said
from app.core.problems import conflict
from app.core.settings import get_settings


def _lock_id(region_code: str) -> int:
    digest = hashlib.sha256(f"region-day\n{region_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_region_shared(session: Session, region_code: str) -> None:
    """Postings (repayments, disbursements) on a region wait while its batch runs."""
    session.execute(select(func.pg_advisory_xact_lock_shared(_lock_id(region_code))))


def try_lock_region_exclusive(session: Session, region_code: str) -> bool:
    """The batch for a region: one worker at a time, and no postings meanwhile."""
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(_lock_id(region_code)))))


def ensure_open_from(session: Session, region_code: str, day: date) -> date:
    """The region's open date, starting it at `day` if the region has none yet."""
    session.execute(
        insert(RegionBusinessDate)
        .values(region_code=region_code, open_date=day)
        .on_conflict_do_nothing(index_elements=["region_code"])
    )
    found = clock.open_date(session, region_code)
    assert found is not None
    return found


def refuse_unless_recent(
    session: Session, region_code: str, day: date, what: Said, earliest: date | None = None
) -> date:
    """A date a caller sends for a record (signing, recovery, visit …) lies on or before the
    county's business date and no more than `backdating_days` before it (nor before `earliest`,
    the record's own start). Returns the business date, as of which the rules are judged too."""
    today = clock.today(session, region_code)
    floor = today - timedelta(days=get_settings().backdating_days)
    if earliest is not None:
        floor = max(floor, earliest)
    if not floor <= day <= today:
        raise conflict(
            Said(
                f"{what.zh}应在 {floor} 与今天（{today}）之间",
                f"The {what.en} must lie between {floor} and today ({today})",
            ),
            slug="date-out-of-range",
        )
    return today
