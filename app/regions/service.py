"""Regional lending status (clause 4.3): a suspended county takes no new assistance loans."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.regions.models import Region, RegionStatusChange
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
    region = session.scalars(select(Region).where(Region.code == code).with_for_update()).one()
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
