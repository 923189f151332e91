"""Reassigning loan officers (issue 17): when an officer leaves or branches merge, one person
asks to move an officer's open applications and outstanding loans (all of them within the
asker's regions, or the loans listed) to another officer; a second person decides. Both steps
are audited; the move happens at approval, so what moves is what the officer holds then."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, CheckConstraint, DateTime, Integer, String, Text, func, select, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.applications.models import Application
from app.applications.schemas import ApplicationStatus
from app.audit import service as audit
from app.core.auth import Principal
from app.core.clock import SHANGHAI
from app.core.db import Base
from app.core.i18n import Said
from app.core.problems import Problem, already_decided, conflict, not_found
from app.core.scoping import prefixes_filter
from app.domain import eligibility as rules
from app.loans import lifecycle
from app.policy.service import refuse_unless_passed

# Applications still being worked on move with their officer; decided-against ones stay.
OPEN_APPLICATIONS = (ApplicationStatus.submitted, ApplicationStatus.approved)


class OfficerReassignment(Base):
    __tablename__ = "officer_reassignments"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'approved', 'declined')", name="status_known"),
        CheckConstraint("from_officer <> to_officer", name="to_someone_else"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    from_officer: Mapped[str] = mapped_column(String(200), nullable=False)
    to_officer: Mapped[str] = mapped_column(String(200), nullable=False)
    # the asker's regions: nothing outside them moves
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(12)), nullable=False)
    loan_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    moved_loans: Mapped[int | None] = mapped_column(Integer)
    moved_applications: Mapped[int | None] = mapped_column(Integer)


def request(
    session: Session,
    principal: Principal,
    *,
    from_officer: str,
    to_officer: str,
    loan_ids: list[uuid.UUID] | None,
    reason: str,
) -> OfficerReassignment:
    if from_officer == to_officer:
        raise conflict(
            Said("接手的客户经理与原客户经理相同", "The officer to take over is the same officer"),
            slug="same-officer",
        )
    row = OfficerReassignment(
        id=uuid.uuid4(),
        from_officer=from_officer,
        to_officer=to_officer,
        regions=list(principal.regions),
        loan_ids=loan_ids,
        reason=reason,
        status="requested",
        requested_by=principal.subject,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "officer.reassignment_requested",
        "officer_reassignment",
        row.id,
        after=_summary(row),
    )
    return row


def _visible(principal: Principal, row: OfficerReassignment | None) -> OfficerReassignment:
    """A request is seen by those whose regions hold every region it may move."""
    if row is None or not principal.covers(row.regions):
        raise not_found("Reassignment")
    return row


def get(session: Session, principal: Principal, reassignment_id: uuid.UUID) -> OfficerReassignment:
    return _visible(principal, session.get(OfficerReassignment, reassignment_id))


def listed(session: Session, principal: Principal, status: str | None) -> list[OfficerReassignment]:
    query = select(OfficerReassignment).order_by(OfficerReassignment.requested_at.desc())
    if status is not None:
        query = query.where(OfficerReassignment.status == status)
    rows = []
    for row in session.scalars(query.limit(500)):
        try:
            rows.append(_visible(principal, row))
        except Problem:
            continue
    return rows


def decide(
    session: Session,
    principal: Principal,
    reassignment_id: uuid.UUID,
    *,
    approve: bool,
    note: str | None,
) -> OfficerReassignment:
    row = session.get(OfficerReassignment, reassignment_id, with_for_update=True)
    row = _visible(principal, row)
    if row.status != "requested":
        raise conflict(already_decided(row.status), slug="already-decided")
    refuse_unless_passed(
        rules.check_maker_checker(row.requested_by, principal.subject), slug="maker-checker"
    )
    row.decided_by, row.decided_at = principal.subject, datetime.now(SHANGHAI)
    row.decision_note = note
    row.status = "approved" if approve else "declined"
    if approve:
        row.moved_loans = lifecycle.reassign_officer(
            session, row.from_officer, row.to_officer, row.regions, row.loan_ids
        )
        row.moved_applications = 0
        if row.loan_ids is None:
            moved = session.execute(
                update(Application)
                .where(
                    Application.officer == row.from_officer,
                    Application.status.in_(OPEN_APPLICATIONS),
                    prefixes_filter(row.regions, Application.region_code),
                )
                .values(officer=row.to_officer)
                .returning(Application.id)
            ).all()
            row.moved_applications = len(moved)
    audit.record(
        session,
        principal,
        "officer.reassignment_decided",
        "officer_reassignment",
        row.id,
        after=_summary(row),
    )
    return row


def _summary(row: OfficerReassignment) -> dict[str, Any]:
    return {
        "from_officer": row.from_officer,
        "to_officer": row.to_officer,
        "regions": row.regions,
        "loans": None if row.loan_ids is None else [str(i) for i in row.loan_ids],
        "status": row.status,
        "moved_loans": row.moved_loans,
        "moved_applications": row.moved_applications,
    }
