"""Regional lending status (clause 4.3): a suspended county takes no new assistance loans."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import clock
from app.core.auth import Principal, Role
from app.core.i18n import Said
from app.core.problems import conflict
from app.core.scoping import scope_filter
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain import regional, subsidy
from app.domain.decisions import DecisionKind
from app.domain.messages import DEFAULT_REMINDER_DAYS
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


def reminder_days(region: Region) -> tuple[int, ...]:
    """The days before a due date the county's borrowers get a text (issue 30)."""
    return tuple(region.reminder_days or DEFAULT_REMINDER_DAYS)


def set_reminder_days(
    session: Session, principal: Principal, code: str, days: list[int]
) -> tuple[int, ...]:
    """The county's reminder days, from the next day's pass on; audited (a message setting,
    not a money one: one risk manager sets it)."""
    region = _locked(session, code)
    before = reminder_days(region)
    region.reminder_days = sorted(set(days))
    audit.record(
        session,
        principal,
        "region.message_settings",
        "region",
        code,
        region_code=code,
        before={"reminder_days": list(before)},
        after={"reminder_days": region.reminder_days},
    )
    session.flush()
    return reminder_days(region)


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
) -> Decision:
    """Ask for a change of the county's subsidy settings; it takes effect once a second risk
    manager approves it (it moves money: which days are subsidised, 1.6)."""
    region = _locked(session, code)
    return decisions.ask(
        session,
        principal,
        DecisionKind.region_settings,
        uuid.uuid4(),  # the request is its own subject: nothing changes until approved
        asked_state=_settings_state(region),
        region_code=code,
        reason=body.reason,
        summary={"subsidise_overdue_days": body.subsidise_overdue_days},
    )


def _settings_state(region: Region) -> str:
    return f"subsidise_overdue_days={region.subsidise_overdue_days}"


def _settings_now(session: Session, decision: Decision) -> str:
    assert decision.region_code is not None
    return _settings_state(_locked(session, decision.region_code))


def _apply_settings(
    session: Session, principal: Principal, decision: Decision, _body: object
) -> None:
    assert decision.region_code is not None
    region = _locked(session, decision.region_code)
    before = region.subsidise_overdue_days
    region.subsidise_overdue_days = bool(decision.summary["subsidise_overdue_days"])
    audit.record(
        session,
        principal,
        "region.subsidy_settings",
        "region",
        region.code,
        region_code=region.code,
        before={"subsidise_overdue_days": before},
        after={
            "subsidise_overdue_days": region.subsidise_overdue_days,
            "reason": decision.reason,
            "asked_by": decision.requested_by,
        },
    )
    session.flush()


def create_programme(
    session: Session, principal: Principal, body: SubsidyProgrammeIn
) -> SubsidyProgramme:
    """Record a programme on the day it takes effect (reference data never changes the past,
    nor is it entered ahead); pending until a second risk manager approves it."""
    today = clock.today()
    if body.effective_from != today:
        raise conflict(
            Said(
                f"地方贴息方案在生效当日（{today}）录入，不能补录过去或预录将来",
                f"A programme is recorded on the day it takes effect ({today}), never for the "
                "past or the future",
            ),
            slug="date-out-of-range",
        )
    row = SubsidyProgramme(
        id=uuid.uuid4(), status="pending", created_by=principal.subject, **body.model_dump()
    )
    session.add(row)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind.subsidy_programme,
        row.id,
        asked_state="pending",
        region_code=row.region_prefix,
        reason=body.reason,
        summary=body.model_dump(mode="json"),
    )
    session.refresh(row)
    return row


def _approve_programme(
    session: Session, principal: Principal, decision: Decision, _body: object
) -> None:
    row = session.get(SubsidyProgramme, decision.subject_id, with_for_update=True)
    assert row is not None
    row.status = "in_force"
    audit.record(
        session,
        principal,
        "subsidy_programme.create",
        "subsidy_programme",
        row.id,
        region_code=row.region_prefix,
        after={"name": row.name, "value": str(row.value), "asked_by": decision.requested_by},
    )


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
) -> Decision | None:
    """Suspend at once (it only stops lending), or ask to lift a suspension, which a second
    risk manager decides; serialised per region by the row lock. The request, if one was made."""
    region = _locked(session, code)
    if body.status == LendingStatus.open and region.lending_status != LendingStatus.open:
        return decisions.ask(
            session,
            principal,
            DecisionKind.suspension_lift,
            uuid.uuid4(),  # the request is its own subject: nothing changes until approved
            asked_state=region.lending_status,
            region_code=code,
            reason=body.reason,
            summary={"status": body.status.value},
        )
    _change_status(session, principal, region, body.status.value, body.reason)
    return None


def _change_status(
    session: Session, principal: Principal, region: Region, status: str, reason: str | None
) -> None:
    before = region.lending_status
    region.lending_status = status
    region.status_reason = reason
    session.add(
        RegionStatusChange(
            region_code=region.code, status=status, reason=reason, changed_by=principal.subject
        )
    )
    audit.record(
        session,
        principal,
        "region.lending_status",
        "region",
        region.code,
        region_code=region.code,
        before={"status": before},
        after={"status": status, "reason": reason},
    )
    session.flush()


def _status_now(session: Session, decision: Decision) -> str:
    assert decision.region_code is not None
    return _locked(session, decision.region_code).lending_status


def _lift(session: Session, principal: Principal, decision: Decision, _body: object) -> None:
    assert decision.region_code is not None
    region = _locked(session, decision.region_code)
    _change_status(session, principal, region, LendingStatus.open.value, decision.reason)


def _region_handler(
    kind: DecisionKind,
    state: Callable[[Session, Decision], str],
    approve: Callable[[Session, Principal, Decision, Any], None],
    settle: Callable[[Session, Principal, Decision, Any], None] | None = None,
) -> None:
    """A risk manager asks, another decides; declined or withdrawn, nothing changed."""
    decisions.handles(
        decisions.Handler(
            kind=kind,
            requesters=frozenset({Role.risk_manager}),
            deciders=frozenset({Role.risk_manager}),
            state=state,
            approve=approve,
            settle=settle,
        )
    )


_region_handler(DecisionKind.suspension_lift, _status_now, _lift)
_region_handler(DecisionKind.region_settings, _settings_now, _apply_settings)
_region_handler(
    DecisionKind.subsidy_programme,
    decisions.status_of(SubsidyProgramme, decisions.the_subject),
    _approve_programme,
    settle=decisions.mirror_status(SubsidyProgramme),
)


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
        name=row.name,
    )


def local_programme(session: Session, region_code: str, on: date) -> subsidy.LocalProgramme | None:
    """The local subsidy programme governing `region_code` on `on` (1.6), if any."""
    # in force only; newest first, so that of two taking effect on one day the later governs
    rows = session.scalars(
        select(SubsidyProgramme)
        .where(
            func.starts_with(literal(region_code), SubsidyProgramme.region_prefix),
            SubsidyProgramme.status == "in_force",
        )
        .order_by(SubsidyProgramme.created_at.desc(), SubsidyProgramme.id)
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
