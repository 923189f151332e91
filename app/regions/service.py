"""Regional lending status (clause 4.3): a suspended county takes no new assistance loans."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.core.settings import get_settings
from app.domain import regional
from app.domain.schedule import add_months
from app.regions.models import Region, RegionDailyStat, RegionStatusChange
from app.regions.schemas import LendingStatus, LendingStatusIn


def is_suspended(session: Session, region_code: str) -> bool:
    status = session.scalar(select(Region.lending_status).where(Region.code == region_code))
    return status == LendingStatus.suspended


def get_or_default(session: Session, code: str) -> Region:
    return session.get(Region, code) or Region(code=code, lending_status=LendingStatus.open)


def history(session: Session, code: str) -> list[RegionStatusChange]:
    return list(
        session.scalars(
            select(RegionStatusChange)
            .where(RegionStatusChange.region_code == code)
            .order_by(RegionStatusChange.id.desc())
        )
    )


def set_lending_status(
    session: Session, principal: Principal, code: str, body: LendingStatusIn
) -> Region:
    """Confirm or lift a suspension; serialised per region by the row lock."""
    session.execute(
        insert(Region)
        .values(code=code, lending_status="open")
        .on_conflict_do_nothing(index_elements=["code"])
    )
    region = session.scalars(
        select(Region)
        .where(Region.code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    before = region.lending_status
    region.lending_status = body.status.value
    region.status_reason = body.reason
    session.add(
        RegionStatusChange(
            region_code=code,
            status=body.status.value,
            reason=body.reason,
            changed_by=principal.subject,
        )
    )
    audit.record(
        session,
        principal,
        "region.lending_status",
        "region",
        code,
        region_code=code,
        before={"status": before},
        after={"status": body.status.value, "reason": body.reason},
    )
    session.flush()
    return region


def thresholds() -> regional.Thresholds:
    settings = get_settings()
    return regional.Thresholds(
        alert_overdue_ratio=settings.region_alert_overdue_ratio,
        alert_overdue_growth=settings.region_alert_overdue_growth,
        suspend_overdue_ratio=settings.region_suspend_overdue_ratio,
        suspend_npl_ratio=settings.region_suspend_npl_ratio,
    )


def latest_stats(
    session: Session, code: str, on_or_before: date | None = None
) -> RegionDailyStat | None:
    query = select(RegionDailyStat).where(RegionDailyStat.region_code == code)
    if on_or_before is not None:
        query = query.where(RegionDailyStat.business_date <= on_or_before)
    return session.scalar(query.order_by(RegionDailyStat.business_date.desc()).limit(1))


def _figures(stat: RegionDailyStat) -> regional.Figures:
    return regional.Figures(stat.balance, stat.overdue_balance, stat.npl_balance)


def assess(
    session: Session, code: str
) -> tuple[RegionDailyStat | None, regional.Assessment | None]:
    """Clause 4.3 on the latest end-of-day figures against those of a month before."""
    now = latest_stats(session, code)
    if now is None:
        return None, None
    before = latest_stats(session, code, add_months(now.business_date, -1))
    return now, regional.assess(_figures(now), _figures(before) if before else None, thresholds())
