"""Reassigning loan officers (issue 17): when an officer leaves or branches merge, one person
asks to move an officer's open applications and outstanding loans (all of them within the
asker's regions, or the loans listed) to another officer; a second person decides. Both steps
are audited; the move happens at approval, so what moves is what the officer holds then."""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.applications.models import Application
from app.applications.schemas import ApplicationStatus
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.auth import NATIONAL_SCOPE, Principal, Role
from app.core.db import Base
from app.core.i18n import Said
from app.core.problems import Problem, conflict, not_found
from app.core.scoping import prefixes_filter
from app.decisions import service as decisions
from app.decisions.models import Decided, Decision, decision_of
from app.domain.decisions import DecisionKind
from app.loans import lifecycle
from app.loans.models import Loan

# Applications still being worked on move with their officer; decided-against ones stay.
OPEN_APPLICATIONS = (ApplicationStatus.submitted, ApplicationStatus.approved)


class OfficerReassignment(Decided, Base):
    __tablename__ = "officer_reassignments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'approved', 'declined', 'withdrawn')", name="status_known"
        ),
        CheckConstraint("from_officer <> to_officer", name="to_someone_else"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    decision: Mapped[Decision | None] = decision_of("OfficerReassignment")
    from_officer: Mapped[str] = mapped_column(String(200), nullable=False)
    to_officer: Mapped[str] = mapped_column(String(200), nullable=False)
    # the asker's regions: nothing outside them moves
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(12)), nullable=False)
    loan_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
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
    _refuse_unless_known_officer(session, to_officer)
    row = OfficerReassignment(
        id=uuid.uuid4(),
        from_officer=from_officer,
        to_officer=to_officer,
        regions=list(principal.regions),
        loan_ids=loan_ids,
        reason=reason,
        status="requested",
    )
    session.add(row)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind.reassignment,
        row.id,
        asked_state=row.status,
        region_code=_common_region(row.regions),
        reason=reason,
        summary={"from_officer": from_officer, "to_officer": to_officer},
    )
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
    query = select(OfficerReassignment).order_by(OfficerReassignment.id.desc())
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
    row = get(session, principal, reassignment_id)
    decisions.decide_subject(
        session, principal, DecisionKind.reassignment, row.id, approve=approve, note=note
    )
    session.refresh(row)
    return row


def _common_region(regions: list[str]) -> str | None:
    """The region a request is filed under (the inbox's scope): the asker's regions' common
    prefix, national (None) when they share none."""
    if not regions or NATIONAL_SCOPE in regions:
        return None
    common = os.path.commonprefix(regions)  # noqa: RUF071 (region codes are prefixes, not paths)
    return common if len(common) >= 2 else None


def _refuse_unless_known_officer(session: Session, officer: str) -> None:
    """Work goes only to someone the service knows as a loan officer (who has acted here in
    that role), never to a name nobody answers to."""
    # who looks after a loan or an application now (indexed), else who has acted in the role
    known = (
        session.scalar(select(Loan.id).where(Loan.officer == officer).limit(1))
        or session.scalar(select(Application.id).where(Application.officer == officer).limit(1))
        or session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.actor == officer,
                AuditEvent.actor_role.contains(Role.loan_officer.value),
            )
            .limit(1)
        )
    )
    if known is None:
        raise conflict(
            Said(
                f"“{officer}”不是本系统已知的客户经理",
                f"{officer!r} is not a loan officer known to the service",
            ),
            slug="unknown-officer",
        )


def _settle(session: Session, principal: Principal, decision: Decision, body: object) -> None:
    decisions.mirror_status(OfficerReassignment)(session, principal, decision, body)
    row = session.get(OfficerReassignment, decision.subject_id)
    assert row is not None
    _audit_decided(session, principal, row)


def _approve(session: Session, principal: Principal, decision: Decision, _body: object) -> None:
    row = session.get(OfficerReassignment, decision.subject_id, with_for_update=True)
    assert row is not None
    _refuse_unless_known_officer(session, row.to_officer)
    row.status = "approved"
    loans = lifecycle.reassign_officer(
        session, row.from_officer, row.to_officer, row.regions, row.loan_ids
    )
    applications: list[tuple[uuid.UUID, str]] = []
    if row.loan_ids is None:
        applications = [
            (i, region)
            for i, region in session.execute(
                update(Application)
                .where(
                    Application.officer == row.from_officer,
                    Application.status.in_(OPEN_APPLICATIONS),
                    prefixes_filter(row.regions, Application.region_code),
                )
                .values(officer=row.to_officer)
                .returning(Application.id, Application.region_code)
            )
        ]
    row.moved_loans, row.moved_applications = len(loans), len(applications)
    # each record moved keeps who looked after it before (independence reads this)
    moves = [("loan", i, region) for i, region in loans] + [
        ("application", i, region) for i, region in applications
    ]
    if moves:
        session.execute(
            insert(AuditEvent),
            [
                audit.event_values(
                    principal,
                    "officer.reassigned",
                    entity,
                    entity_id,
                    region_code=region,
                    before={"officer": row.from_officer},
                    after={"officer": row.to_officer, "reassignment_id": str(row.id)},
                )
                for entity, entity_id, region in moves
            ],
        )
    _audit_decided(session, principal, row)


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.reassignment,
        requesters=frozenset({Role.credit_reviewer, Role.risk_manager, Role.admin}),
        deciders=frozenset({Role.risk_manager, Role.admin}),
        state=decisions.status_of(OfficerReassignment, decisions.the_subject),
        approve=_approve,
        settle=_settle,
    )
)


def _audit_decided(session: Session, principal: Principal, row: OfficerReassignment) -> None:
    """On the request itself: what was decided and what moved (the mechanism's event is on the
    decision)."""
    audit.record(
        session,
        principal,
        "officer.reassignment_decided",
        "officer_reassignment",
        row.id,
        after=_summary(row),
    )


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
