"""Regional lending status (clause 4.3): a suspended county takes no new assistance loans."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.core.scoping import scope_filter
from app.core.settings import get_settings
from app.domain import regional, subsidy
from app.domain.money import ZERO
from app.domain.policy import PolicyVersion
from app.domain.schedule import add_months
from app.regions.models import Region, RegionDailyStat, RegionStatusChange, SubsidyProgramme
from app.regions.schemas import (
    LendingStatus,
    LendingStatusIn,
    SubsidyProgrammeIn,
    SubsidySettingsIn,
)


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


def _locked(session: Session, code: str) -> Region:
    """The region's row, created if need be, locked: changes to a region are serialised."""
    session.execute(
        insert(Region)
        .values(code=code, lending_status="open")
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return session.scalars(
        select(Region)
        .where(Region.code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def set_subsidy_settings(
    session: Session, principal: Principal, code: str, body: SubsidySettingsIn
) -> Region:
    region = _locked(session, code)
    before = region.subsidise_overdue_days
    region.subsidise_overdue_days = body.subsidise_overdue_days
    audit.record(
        session,
        principal,
        "region.subsidy_settings",
        "region",
        code,
        region_code=code,
        before={"subsidise_overdue_days": before},
        after={"subsidise_overdue_days": body.subsidise_overdue_days, "reason": body.reason},
    )
    session.flush()
    return region


def create_programme(
    session: Session, principal: Principal, body: SubsidyProgrammeIn
) -> SubsidyProgramme:
    row = SubsidyProgramme(
        id=uuid.uuid4(),
        created_by=principal.subject,
        **body.model_dump(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "subsidy_programme.create",
        "subsidy_programme",
        row.id,
        region_code=row.region_prefix,
        after=body.model_dump(mode="json"),
    )
    return row


def programmes_for_caller(
    session: Session, principal: Principal, region: str | None
) -> list[SubsidyProgramme]:
    """Programmes governing a county (its prefixes), or those within or above the caller's
    regions."""
    query = select(SubsidyProgramme).order_by(
        SubsidyProgramme.effective_from.desc(), SubsidyProgramme.created_at.desc()
    )
    if region is not None:
        principal.ensure_region(region, "Region")
        query = query.where(func.starts_with(literal(region), SubsidyProgramme.region_prefix))
    elif (prefixes := principal.region_prefixes()) is not None:
        # within the caller's regions, or a wider programme that governs them
        query = query.where(
            or_(
                scope_filter(principal, SubsidyProgramme.region_prefix),
                *(func.starts_with(literal(p), SubsidyProgramme.region_prefix) for p in prefixes),
            )
        )
    return list(session.scalars(query))


def set_lending_status(
    session: Session, principal: Principal, code: str, body: LendingStatusIn
) -> Region:
    """Confirm or lift a suspension; serialised per region by the row lock."""
    region = _locked(session, code)
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


def _programme(row: SubsidyProgramme) -> subsidy.LocalProgramme:
    return subsidy.LocalProgramme(
        region_prefix=row.region_prefix,
        basis=subsidy.ProgrammeBasis(row.basis),
        value=row.value,
        principal_cap=row.principal_cap,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
    )


def local_programme(session: Session, region_code: str, on: date) -> subsidy.LocalProgramme | None:
    """The local subsidy programme governing `region_code` on `on` (1.6), if any."""
    rows = session.scalars(
        select(SubsidyProgramme).where(
            func.starts_with(literal(region_code), SubsidyProgramme.region_prefix)
        )
    )
    return subsidy.programme_for(region_code, on, [_programme(r) for r in rows])


def subsidy_split(
    session: Session,
    region_code: str,
    on: date,
    annual_rate: Decimal,
    amount: Decimal,
    large_production: bool,
    policy: PolicyVersion,
) -> subsidy.SubsidySplit:
    """The subsidy terms a contract signed in `region_code` on `on` gets: the central rule of
    its policy version and the local programme in force, never a figure typed per contract."""
    programme = local_programme(session, region_code, on)
    return subsidy.split(
        annual_rate,
        amount,
        large_production,
        programme.rate_for(annual_rate) if programme else ZERO,
        policy,
        programme.principal_cap if programme else None,
    )


def subsidises_overdue_days(session: Session, region_code: str) -> bool:
    return bool(
        session.scalar(select(Region.subsidise_overdue_days).where(Region.code == region_code))
    )
