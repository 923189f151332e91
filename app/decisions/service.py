"""The one door: a feature asks (`ask`) and says what approval does (its `Handler`); `decide` owns
who may decide, independence from the whole renewal/extension chain (computed now, from the
record), the subject's state, and the audit event. No feature compares maker and checker."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, column, false, func, or_, select, table, tuple_
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core import clock
from app.core.auth import NATIONAL_SCOPE, SYSTEM, Principal, Role, refuse_unless_role
from app.core.i18n import Said
from app.core.problems import (
    Problem,
    already_decided,
    conflict,
    not_found,
    refuse_unless_passed,
)
from app.core.scoping import readable
from app.decisions.models import Decision
from app.domain.decisions import DecisionKind, DecisionStatus, check_independent
from app.domain.labels import labelled
from app.domain.rules import RuleResult

Status = DecisionStatus


@dataclass(frozen=True)
class Handler:
    """What a feature tells the mechanism about one kind of request."""

    kind: DecisionKind
    requesters: frozenset[Role]
    deciders: frozenset[Role]
    # the subject's state now, read under lock (the mechanism compares it with `asked_state`)
    state: Callable[[Session, Decision], str]
    # what approval does (the mechanism has checked roles, independence and state); the body
    # is the feature's decision body, or the generic one at /v1/decisions/{id}/decision
    approve: Callable[[Session, Principal, Decision, Any], Any]
    # the feature row's own status when the request is declined (with the decision's body) or
    # withdrawn (no body); by default nothing, for a request that changed nothing by being asked
    settle: Callable[[Session, Principal, Decision, Any], None] | None = None
    # decided at the generic endpoint too (False: the approval needs the feature's own body)
    generic: bool = True
    # more people who may not decide it, beyond the chain (those an exemption case names)
    parties: Callable[[Session, Decision], set[str]] | None = None
    # still decided once its loan is paid off, renewed or written off (else withdrawn then)
    outlives_the_loan: bool = False
    # warning-level rules about the subject (wording of diversion, 1.8): an approval names
    # each one that fired among `acknowledged`, and the decision keeps them
    warnings: Callable[[Session, Decision], list[RuleResult]] | None = None


HANDLERS: dict[DecisionKind, Handler] = {}


def status_of(
    model: type[Any], key: Callable[[Decision], uuid.UUID | None]
) -> Callable[[Session, Decision], str]:
    """A handler's `state`: the status of the `model` row `key` names (the request's loan, or
    its subject), read again under lock."""

    def state(session: Session, decision: Decision) -> str:
        row = session.get(model, key(decision), with_for_update=True, populate_existing=True)
        assert row is not None
        return str(row.status)

    return state


def mirror_status(model: type[Any]) -> Callable[[Session, Principal, Decision, Any], None]:
    """A handler's `settle` for a subject whose own status follows the request's (declined,
    withdrawn)."""

    def settle(session: Session, _principal: Principal, decision: Decision, _body: Any) -> None:
        row = session.get(model, decision.subject_id, with_for_update=True)
        assert row is not None
        row.status = decision.status

    return settle


def the_loan(decision: Decision) -> uuid.UUID | None:
    return decision.loan_id


def the_subject(decision: Decision) -> uuid.UUID | None:
    return decision.subject_id


def handles(handler: Handler) -> Handler:
    """Register a feature's handler (at import of the feature)."""
    HANDLERS[handler.kind] = handler
    return handler


def ask(
    session: Session,
    principal: Principal,
    kind: DecisionKind,
    subject_id: uuid.UUID,
    *,
    asked_state: str,
    region_code: str | None,
    loan_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    reason: str | None = None,
    summary: dict[str, Any] | None = None,
) -> Decision:
    """A request for a second person's decision, pending from now."""
    refuse_unless_role(principal, HANDLERS[kind].requesters)
    values = ask_values(
        principal,
        kind,
        subject_id,
        asked_state=asked_state,
        region_code=region_code,
        loan_id=loan_id,
        application_id=application_id,
    )
    row = Decision(
        **values | {"summary": summary or {}},
        reason=reason,
        requested_at=clock.now(),
    )
    session.add(row)
    session.flush()
    _audit(session, principal, row, "requested")
    return row


def ask_values(
    principal: Principal,
    kind: DecisionKind,
    subject_id: uuid.UUID,
    *,
    asked_state: str,
    region_code: str | None,
    loan_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The columns `ask` writes (DECISION_COLUMNS), for a feature that inserts its request in
    one precompiled statement with its subject (the application's submission, a hot path)."""
    return {
        "id": uuid.uuid4(),
        "kind": kind.value,
        "subject_id": subject_id,
        "loan_id": loan_id,
        "application_id": application_id,
        "region_code": region_code,
        "status": Status.pending.value,
        "asked_state": asked_state,
        "summary": {},
        "requested_by": principal.subject,
    }


DECISION_COLUMNS = (
    "id",
    "kind",
    "subject_id",
    "loan_id",
    "application_id",
    "region_code",
    "status",
    "asked_state",
    "summary",
    "requested_by",
)  # requested_at: the statement's now(), as the subject's own time


def get(session: Session, principal: Principal, decision_id: uuid.UUID) -> Decision:
    return _visible(principal, session.get(Decision, decision_id))


def of_subject(
    session: Session, principal: Principal, kind: DecisionKind, subject_id: uuid.UUID
) -> Decision:
    return _visible(
        principal,
        session.scalar(
            select(Decision).where(Decision.kind == kind.value, Decision.subject_id == subject_id)
        ),
    )


def _visible(principal: Principal, row: Decision | None) -> Decision:
    """A request outside the caller's regions does not exist for them (404)."""
    if row is None or not _sees(principal, row):
        raise not_found("Decision")
    return row


def _sees(principal: Principal, row: Decision) -> bool:
    if row.region_code is None:  # national reference data
        return NATIONAL_SCOPE in principal.regions
    return principal.sees_region(row.region_code)


def decide(
    session: Session,
    principal: Principal,
    decision_id: uuid.UUID,
    *,
    approve: bool,
    note: str | None,
    body: Any = None,
    generic: bool = False,
    acknowledged: Sequence[str] = (),
) -> tuple[Decision, Any]:
    """Settle a pending request: refused to a role that may not decide it (403), when it is
    already settled, when the decider took part in it or its loans (409 maker-checker), and
    when its subject has left the state it was asked in (409 state-changed). Returns the
    decision and what the feature's approval returned (None when declined)."""
    row = _visible(
        principal,
        session.get(Decision, decision_id, with_for_update=True, populate_existing=True),
    )
    handler = HANDLERS[DecisionKind(row.kind)]
    if generic and not handler.generic:
        raise conflict(
            Said(
                f"{labelled('DecisionKind', row.kind)}在其业务接口审批（需要审批条件）",
                f"A {row.kind} is decided at its own endpoint (the decision needs its terms)",
            ),
            slug="decided-elsewhere",
        )
    refuse_unless_role(principal, handler.deciders)
    if row.status != Status.pending:
        raise conflict(already_decided(row.status), slug="already-decided")
    _refuse_unless_independent(principal, involved(session, row, handler))
    now = handler.state(session, row)
    if now != row.asked_state:
        raise conflict(
            Said(
                f"申请时为“{row.asked_state}”，现为“{now}”，该请求不能再审批",
                f"The subject was {row.asked_state} when asked and is {now} now; the request "
                "can no longer be decided",
            ),
            slug="state-changed",
        )
    if approve:
        _refuse_unless_acknowledged(session, row, handler, acknowledged)
    row.status = (Status.approved if approve else Status.declined).value
    row.decided_by, row.decided_at, row.note = principal.subject, clock.now(), note
    result: Any = None
    if approve:
        result = handler.approve(session, principal, row, body)
    elif handler.settle is not None:
        handler.settle(session, principal, row, body)
    session.flush()
    _audit(session, principal, row, row.status)
    return row, result


def decide_subject(
    session: Session,
    principal: Principal,
    kind: DecisionKind,
    subject_id: uuid.UUID,
    *,
    approve: bool,
    note: str | None,
    body: Any = None,
    acknowledged: Sequence[str] = (),
) -> tuple[Decision, Any]:
    """A feature's own decision endpoint: the request about `subject_id`, decided (`decide`)."""
    request = of_subject(session, principal, kind, subject_id)
    return decide(
        session,
        principal,
        request.id,
        approve=approve,
        note=note,
        body=body,
        acknowledged=acknowledged,
    )


def _refuse_unless_acknowledged(
    session: Session, row: Decision, handler: Handler, acknowledged: Sequence[str]
) -> None:
    """Every warning that fired is named by the approver (409 `unacknowledged-warning`
    listing those that are not); the decision keeps what was acknowledged."""
    if handler.warnings is None:
        return
    fired = [w for w in handler.warnings(session, row) if not w.passed]
    missing = [w for w in fired if w.code not in acknowledged]
    if missing:
        raise Problem(
            409,
            Said(
                "批准前须确认以下提示：" + "；".join(w.message_zh for w in missing),
                "Acknowledge these before approving: " + "; ".join(w.message_en for w in missing),
            ),
            slug="unacknowledged-warning",
            rules=missing,
        )
    if fired:
        row.summary = {**row.summary, "acknowledged": [w.code for w in fired]}


def _refuse_unless_independent(principal: Principal, people: set[str]) -> None:
    refuse_unless_passed(check_independent(principal.subject, people), slug="maker-checker")


def refuse_if_decider(principal: Principal, row: Decision | None) -> None:
    """The one who approved a request does not carry it out as well (审贷分离: whoever approved
    an application does not sign its contract)."""
    if row is not None and row.decided_by is not None:
        _refuse_unless_independent(principal, {row.decided_by})


def refuse_unless_independent(
    session: Session, principal: Principal, loan_id: uuid.UUID, parties: set[str]
) -> None:
    """For a feature step that is not itself a request (an exemption case's review): the same
    independence, computed now over the loan's whole chain, plus the step's own `parties`."""
    _refuse_unless_independent(principal, _took_part(session, loan_id, None) | parties)


def withdraw_pending(session: Session, loan_id: uuid.UUID, why: Said) -> int:
    """Withdraw what still waits on a loan that left its state for good (paid off, renewed,
    written off): nobody decides it any more. Returns how many."""
    ending = [kind.value for kind, handler in HANDLERS.items() if not handler.outlives_the_loan]
    return _withdraw(session, (Decision.loan_id == loan_id) & Decision.kind.in_(ending), why)


def withdraw_subject(session: Session, kind: DecisionKind, subject_id: uuid.UUID, why: Said) -> int:
    """Withdraw the pending request about one subject (an application its officer withdrew)."""
    return _withdraw(
        session, (Decision.kind == kind.value) & (Decision.subject_id == subject_id), why
    )


def _withdraw(session: Session, which: Any, why: Said) -> int:
    rows = list(
        session.scalars(
            select(Decision).where(which, Decision.status == Status.pending.value).with_for_update()
        )
    )
    for row in rows:
        row.status = Status.withdrawn.value
        row.decided_at, row.note = clock.now(), f"{why.zh}（{why.en}）"
        settle = HANDLERS[DecisionKind(row.kind)].settle
        if settle is not None:
            settle(session, SYSTEM, row, None)
        _audit(session, SYSTEM, row, row.status)
    return len(rows)


def _audit(session: Session, principal: Principal, row: Decision, outcome: str) -> None:
    """One audit shape for every kind: on the loan, the application, or the decision itself."""
    entity, entity_id = (
        ("loan", row.loan_id)
        if row.loan_id is not None
        else ("application", row.application_id)
        if row.application_id is not None
        else ("decision", row.id)
    )
    audit.record(
        session,
        principal,
        f"decision.{outcome}",
        entity,
        entity_id,
        region_code=row.region_code,
        after={
            "decision_id": str(row.id),
            "kind": row.kind,
            "subject_id": str(row.subject_id),
            "note": row.note,
        },
    )


# --- independence ------------------------------------------------------------------------------

_loans = table(
    "loans",
    column("id"),
    column("chain_id"),
    column("application_id"),
    column("officer"),
    column("contracted_by"),
)
_applications = table("applications", column("id"), column("submitted_by"), column("officer"))
_cases = table("collection_cases", column("id"), column("loan_id"))
# events that record no part in a subject: re-reading an application's eligibility
_NOT_A_PART = ("application.re_evaluate",)


def involved(session: Session, row: Decision, handler: Handler | None = None) -> set[str]:
    """Who may not decide the request: its asker, everyone who took part in its loan's chain or
    its application, and the parties its feature names."""
    people = _took_part(session, row.loan_id, row.application_id) | {row.requested_by}
    if handler is not None and handler.parties is not None:
        people |= handler.parties(session, row)
    return people


def _took_part(
    session: Session, loan_id: uuid.UUID | None, application_id: uuid.UUID | None
) -> set[str]:
    """Everyone who acted on the loans of `loan_id`'s renewal/extension chain or on
    `application_id`: each loan's officer and signer; each application's submitter and officer;
    whoever the audit trail shows acting on those loans, applications and collection cases (an
    officer before a reassignment included); and who asked or decided any request on them."""
    people: set[str] = set()
    loan_ids: list[uuid.UUID] = []
    application_ids = {application_id} if application_id is not None else set()
    if loan_id is not None:
        root = (
            select(func.coalesce(_loans.c.chain_id, _loans.c.id))
            .where(_loans.c.id == loan_id)
            .scalar_subquery()
        )
        for chain_loan, application, officer, signer in session.execute(
            select(
                _loans.c.id, _loans.c.application_id, _loans.c.officer, _loans.c.contracted_by
            ).where(or_(_loans.c.id == root, _loans.c.chain_id == root))
        ):
            loan_ids.append(chain_loan)
            people |= {officer, signer}
            if application is not None:
                application_ids.add(application)
    for submitter, officer in session.execute(
        select(_applications.c.submitted_by, _applications.c.officer).where(
            _applications.c.id.in_(application_ids)
        )
    ):
        people |= {submitter, officer}
    case_ids = list(session.scalars(select(_cases.c.id).where(_cases.c.loan_id.in_(loan_ids))))
    entities = [
        ("loan", loan_ids),
        ("application", list(application_ids)),
        ("collection_case", case_ids),
    ]
    trail: Select[Any] = select(AuditEvent.actor, AuditEvent.before, AuditEvent.after).where(
        or_(
            false(),
            *(
                (AuditEvent.entity_type == kind) & AuditEvent.entity_id.in_([str(i) for i in ids])
                for kind, ids in entities
                if ids
            ),
        ),
        AuditEvent.action.not_in(_NOT_A_PART),
    )
    for actor, before, after in session.execute(trail):
        people.add(actor)
        for change in (before, after):  # an officer moved away by a reassignment
            if isinstance(change, dict) and isinstance(change.get("officer"), str):
                people.add(change["officer"])
    on_them = or_(Decision.loan_id.in_(loan_ids), Decision.application_id.in_(application_ids))
    for asker, decider in session.execute(
        select(Decision.requested_by, Decision.decided_by).where(on_them)
    ):
        people |= {asker} | ({decider} if decider else set())
    people.discard(SYSTEM.subject)
    return people


def may_decide(session: Session, principal: Principal, row: Decision) -> bool:
    """Whether the caller could decide it now (the inbox's hint; `decide` judges for real)."""
    handler = HANDLERS[DecisionKind(row.kind)]
    return (
        row.status == Status.pending
        and bool(principal.roles & handler.deciders)
        and principal.subject not in involved(session, row, handler)
    )


def pending_page(
    session: Session,
    principal: Principal,
    *,
    kind: DecisionKind | None,
    status: DecisionStatus | None,
    limit: int,
    after: uuid.UUID | None,
    loan_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
) -> list[Decision]:
    """The inbox: requests in the caller's regions, oldest first (keyset on requested_at, id)."""
    query = select(Decision).order_by(Decision.requested_at, Decision.id).limit(limit)
    if kind is not None:
        query = query.where(Decision.kind == kind.value)
    if loan_id is not None:
        query = query.where(Decision.loan_id == loan_id)
    if application_id is not None:
        query = query.where(Decision.application_id == application_id)
    if status is not None:
        query = query.where(Decision.status == status.value)
    if after is not None:
        last = session.get(Decision, after)
        if last is not None:
            query = query.where(
                tuple_(Decision.requested_at, Decision.id) > tuple_(last.requested_at, last.id)
            )
    return list(session.scalars(readable(query, principal, Decision.region_code)))
