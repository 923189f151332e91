"""Exemption cases: open (the evidence gathered there and then), review, decide, appeal once,
final. The committee member who reviews or decides had no part in the loan; the appeal is
heard by someone other than the first decider. Every step is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.applications.models import Application, ApplicationEvaluation, Investigation
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.collections.models import CollectionAction, CollectionCase, PromiseToPay, WriteOff
from app.core import clock
from app.core.auth import Principal, Role, refuse_unless_national
from app.core.i18n import Said
from app.core.problems import conflict, not_found
from app.core.scoping import readable, scope_filter, within
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain import exemption as rules
from app.domain.classification import RiskClass
from app.domain.decisions import DecisionKind
from app.domain.evidence import EvidenceSubject
from app.domain.exemption import CaseStatus, EntryKind, Outcome
from app.domain.labels import label, labelled
from app.domain.loan_status import LoanStatus
from app.domain.rules import RuleResult, failures
from app.evidence import service as attached
from app.evidence.models import Attachment
from app.exemptions import schemas
from app.exemptions.models import CatalogueEntry, ExemptionCase
from app.households.models import CreditRating
from app.loans import service as loans
from app.loans.models import Loan
from app.monitoring.models import MonitoringVisit
from app.policy.service import rule_failures

NON_PERFORMING = frozenset(c.value for c in RiskClass if c.non_performing)


# --- the catalogue ----------------------------------------------------------------------------


def catalogue(session: Session) -> list[CatalogueEntry]:
    return list(
        session.scalars(select(CatalogueEntry).order_by(CatalogueEntry.kind, CatalogueEntry.code))
    )


def add_entry(
    session: Session, principal: Principal, body: schemas.CatalogueEntryIn
) -> CatalogueEntry:
    refuse_unless_national(principal, Said("尽职免责情形目录", "The exemption catalogue"))
    if session.get(CatalogueEntry, body.code) is not None:
        raise conflict(
            Said(f"目录中已有 {body.code}", f"{body.code} is in the catalogue already"),
            slug="duplicate",
        )
    entry = CatalogueEntry(
        code=body.code,
        kind=body.kind,
        title_zh=body.title_zh,
        title_en=body.title_en,
        active=True,
        added_by=principal.subject,
    )
    session.add(entry)
    audit.record(
        session,
        principal,
        "exemption.catalogue_added",
        "exemption_catalogue",
        body.code,
        after=body.model_dump(mode="json"),
    )
    return entry


def _require_known(session: Session, codes: Iterable[str], kind: EntryKind) -> None:
    codes = set(codes)
    known = set(
        session.scalars(
            select(CatalogueEntry.code).where(
                CatalogueEntry.code.in_(codes),
                CatalogueEntry.kind == kind,
                CatalogueEntry.active,
            )
        )
    )
    unknown = sorted(codes - known)
    if unknown:
        raise conflict(
            Said(
                f"以下不在{label(kind)}目录中：{'、'.join(unknown)}",
                f"Not in the catalogue as {kind.value}: {', '.join(unknown)}",
            ),
            slug="not-catalogued",
        )


# --- the evidence file ------------------------------------------------------------------------


def _rows(items: Iterable[Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{f: _plain(getattr(item, f)) for f in fields} for item in items]


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)) or hasattr(value, "isoformat"):
        return str(value)
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


@dataclass(frozen=True, slots=True)
class _Records:
    """Everything recorded about a loan that its evidence file shows."""

    application: Application | None
    evaluations: list[ApplicationEvaluation]
    investigations: list[Investigation]
    rating: CreditRating | None
    visits: list[MonitoringVisit]
    cases: list[CollectionCase]
    actions: list[CollectionAction]
    promises: list[PromiseToPay]
    write_offs: list[WriteOff]
    trail: list[AuditEvent]
    attachments: list[Attachment]


def gather(session: Session, loan: Loan) -> tuple[dict[str, Any], set[str]]:
    """The evidence file, as it stands, and everyone who had a part in the loan. Borrowers
    appear masked, as everywhere else."""
    records = _records(session, loan)
    return _evidence(loan, records), _involved(loan, records)


def _records(session: Session, loan: Loan) -> _Records:
    application = session.get(Application, loan.application_id) if loan.application_id else None
    evaluations = (
        list(
            session.scalars(
                select(ApplicationEvaluation)
                .where(ApplicationEvaluation.application_id == application.id)
                .order_by(ApplicationEvaluation.id)
            )
        )
        if application
        else []
    )
    investigations = (
        list(
            session.scalars(
                select(Investigation).where(Investigation.application_id == application.id)
            )
        )
        if application
        else []
    )
    rating = session.scalar(
        select(CreditRating)
        .where(
            CreditRating.household_id == loan.household_id,
            func.date(CreditRating.created_at) <= loan.signed_on,
        )
        .order_by(CreditRating.created_at.desc())
        .limit(1)
    )
    visits = list(
        session.scalars(
            select(MonitoringVisit)
            .where(MonitoringVisit.loan_id == loan.id)
            .order_by(MonitoringVisit.visited_on)
        )
    )
    cases = list(session.scalars(select(CollectionCase).where(CollectionCase.loan_id == loan.id)))
    case_ids = [c.id for c in cases]
    actions = list(
        session.scalars(
            select(CollectionAction)
            .where(CollectionAction.case_id.in_(case_ids))
            .order_by(CollectionAction.taken_on)
        )
    )
    promises = list(session.scalars(select(PromiseToPay).where(PromiseToPay.case_id.in_(case_ids))))
    write_offs = list(session.scalars(select(WriteOff).where(WriteOff.loan_id == loan.id)))
    entity_ids = [str(loan.id)] + [str(i) for i in case_ids] + [str(w.id) for w in write_offs]
    if application:
        entity_ids.append(str(application.id))
    trail = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id.in_(entity_ids)).order_by(AuditEvent.id)
        )
    )
    records = [
        *((EvidenceSubject.investigation, i.id) for i in investigations),
        *((EvidenceSubject.monitoring_visit, v.id) for v in visits),
        *((EvidenceSubject.collection_action, a.id) for a in actions),
        *((EvidenceSubject.write_off, w.id) for w in write_offs),
        *((EvidenceSubject.exemption_case, c) for c in case_ids_of_loan(session, loan.id)),
    ]
    return _Records(
        application, evaluations, investigations, rating, visits, cases, actions, promises,
        write_offs, trail, attached.of_records(session, records),
    )  # fmt: skip


def case_ids_of_loan(session: Session, loan_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(ExemptionCase.id).where(ExemptionCase.loan_id == loan_id)))


def attachments(session: Session, case: ExemptionCase) -> list[dict[str, Any]]:
    """The photos and scans of the loan's records and of its cases, as kept now (nothing
    kept is ever removed; a correction names what it corrects)."""
    loan = session.get(Loan, case.loan_id)
    assert loan is not None
    return _attachment_rows(_records(session, loan).attachments)


def _attachment_rows(kept: list[Attachment]) -> list[dict[str, Any]]:
    return _rows(
        kept,
        (
            "id", "subject_type", "subject_id", "file_name", "media_type", "bytes", "sha256",
            "note", "corrects_id", "uploaded_by", "uploaded_at",
        ),
    )  # fmt: skip


def _evidence(loan: Loan, r: _Records) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "loan": _rows(
            [loan],
            (
                "id", "status", "policy_version", "principal", "annual_rate", "term_months",
                "repayment_method", "purpose", "signed_on", "contracted_by", "officer",
                "value_date", "maturity_date", "principal_outstanding", "days_past_due",
                "risk_class",
            ),
        )[0],
        "application": _rows(
            [r.application] if r.application else [],
            (
                "id", "submitted_by", "submitted_at", "amount", "term_months", "purpose",
                "purpose_detail", "decided_by", "decided_at", "decision_note",
                "approved_amount", "approved_term_months",
            ),
        ),
        "evaluations": [
            {
                "stage": e.stage,
                "evaluated_on": str(e.evaluated_on),
                "eligible": e.eligible,
                "rules": [
                    {k: rule.get(k) for k in ("code", "clause", "passed", "message_zh")}
                    for rule in e.rules
                ],
            }
            for e in r.evaluations
        ],
        "investigations": _rows(
            r.investigations,
            (
                "visited_on", "investigators", "project_findings", "need_is_genuine",
                "project_is_lawful", "notes", "recorded_by",
            ),
        ),
        "rating": _rows(
            [r.rating] if r.rating else [],
            ("grade", "score", "credit_limit", "valid_from", "valid_until", "reasons", "rated_by"),
        ),
        "monitoring_visits": _rows(
            r.visits,
            ("visited_on", "finding", "misused_amount", "corrects_misuse", "notes", "recorded_by"),
        ),
        "collection_cases": _rows(
            r.cases, ("opened_on", "closed_on", "close_reason", "bucket", "escalated_on")
        ),
        "collection_actions": _rows(
            r.actions,
            ("taken_on", "kind", "participants", "findings", "notes", "next_step", "recorded_by"),
        ),
        "promises": _rows(r.promises, ("made_on", "promised_on", "amount", "status", "paid")),
        "write_offs": _rows(
            r.write_offs,
            (
                "grounds", "reason", "evidence", "status", "proposed_by", "decided_by",
                "written_off_on", "principal", "interest", "penalty",
            ),
        ),
        "audit_trail": _rows(
            r.trail, ("occurred_at", "actor", "actor_role", "action", "entity_type")
        ),
        "attachments": _attachment_rows(r.attachments),
    }  # fmt: skip
    return evidence


def _involved(loan: Loan, r: _Records) -> set[str]:
    involved = {loan.contracted_by, loan.officer}
    if r.application:
        involved |= {r.application.submitted_by, r.application.officer}
        if r.application.decided_by:
            involved.add(r.application.decided_by)
    involved |= {i.recorded_by for i in r.investigations}
    if r.rating:
        involved.add(r.rating.rated_by)
    involved |= {v.recorded_by for v in r.visits}
    involved |= {a.recorded_by for a in r.actions}
    involved |= {a.uploaded_by for a in r.attachments}
    for w in r.write_offs:
        involved |= {who for who in (w.requested_by, w.decided_by) if who}
    return involved


# --- the steps --------------------------------------------------------------------------------


def _refuse(results: list[RuleResult], detail: Said) -> None:
    failed = failures(results)
    if failed:
        raise conflict(detail, rules=rule_failures(failed), slug="exemption-refused")


def _step(case: ExemptionCase, to: CaseStatus) -> None:
    if not rules.may_move(CaseStatus(case.status), to):
        raise conflict(
            Said(
                f"{labelled('CaseStatus', case.status)}的案件不能转为{label(to)}",
                f"A case {case.status} cannot be {to.value}",
            ),
            slug="wrong-step",
        )
    case.status = to


def get(
    session: Session, principal: Principal, case_id: uuid.UUID, *, lock: bool = False
) -> ExemptionCase:
    case = session.get(ExemptionCase, case_id, with_for_update=lock)
    if case is None or not principal.sees_region(case.region_code):
        raise not_found("Exemption case")
    return case


def _audit(
    session: Session, principal: Principal, case: ExemptionCase, action: str, **after: Any
) -> None:
    audit.record(
        session, principal, f"exemption.{action}", "exemption_case", case.id,
        region_code=case.region_code, after={"status": case.status, **after},
    )  # fmt: skip


def open_case(
    session: Session, principal: Principal, loan_id: uuid.UUID, body: schemas.OpenIn
) -> ExemptionCase:
    loan = loans.get(session, principal, loan_id, for_update=True)
    bad = loan.status == LoanStatus.written_off or loan.risk_class in NON_PERFORMING
    if not bad:
        raise conflict(
            Said(
                "尽职免责案件只针对不良或已核销的贷款",
                "An exemption case is for a non-performing or written-off loan",
            ),
            slug="loan-performing",
        )
    _require_known(session, body.claimed_situations, EntryKind.situation)
    if session.scalar(
        select(ExemptionCase.id).where(
            ExemptionCase.loan_id == loan.id, ExemptionCase.status != CaseStatus.final
        )
    ):
        raise conflict(
            Said("该贷款已有进行中的案件", "The loan has a case in progress"), slug="duplicate"
        )
    evidence, involved = gather(session, loan)
    case = ExemptionCase(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        status=CaseStatus.opened,
        opened_by=principal.subject,
        claimed_situations=sorted(set(body.claimed_situations)),
        statement=body.statement,
        involved=sorted(involved | {principal.subject}),
        evidence=evidence,
    )
    session.add(case)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind.exemption,
        case.id,
        asked_state=UNDER_REVIEW,
        region_code=case.region_code,
        loan_id=case.loan_id,
        reason=body.statement,
    )
    _audit(session, principal, case, "opened", involved=case.involved)
    return case


def review(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.ReviewIn
) -> ExemptionCase:
    case = get(session, principal, case_id, lock=True)
    # who took part is read again at each step, over the loan's whole chain (2.1)
    decisions.refuse_unless_independent(session, principal, case.loan_id, set(case.involved))
    _step(case, CaseStatus.evidence_reviewed)
    case.review_notes, case.reviewed_by = body.notes, principal.subject
    case.reviewed_at = clock.now()
    _audit(session, principal, case, "evidence_reviewed")
    return case


def _judge(session: Session, case: ExemptionCase, body: schemas.ExemptionDecisionIn) -> None:
    """What every decision on a case must be (its decider's independence is the mechanism's):
    consistent with the situations and findings it cites, and those in the catalogue. The
    situations and findings recorded are those of the decision that stands."""
    _refuse(
        [rules.outcome_consistent(body.outcome, body.situations, body.aggravating)],
        Said("不能按所提交的内容作出认定", "The decision cannot be taken as given"),
    )
    _require_known(session, body.situations, EntryKind.situation)
    _require_known(session, body.aggravating, EntryKind.aggravating)
    case.situations, case.aggravating = sorted(set(body.situations)), sorted(set(body.aggravating))


def decide(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.ExemptionDecisionIn
) -> ExemptionCase:
    return _decided(session, principal, case_id, DecisionKind.exemption, body)


def appeal(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.AppealIn
) -> ExemptionCase:
    """Once, by one of the staff concerned (those involved in the loan, or who opened it)."""
    case = get(session, principal, case_id, lock=True)
    if principal.subject not in case.involved:
        raise conflict(
            Said("申诉应由相关责任人提出", "An appeal comes from the staff concerned"),
            slug="not-concerned",
        )
    _step(case, CaseStatus.appealed)
    case.appeal_reason = body.reason
    decisions.ask(
        session,
        principal,
        DecisionKind.exemption_appeal,
        case.id,
        asked_state=CaseStatus.appealed.value,
        region_code=case.region_code,
        loan_id=case.loan_id,
        reason=body.reason,
    )
    _audit(session, principal, case, "appealed")
    session.refresh(case)
    return case


def finalise(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.ExemptionDecisionIn
) -> ExemptionCase:
    """The appeal's decision, final: the first decider took part (the mechanism refuses them)."""
    return _decided(session, principal, case_id, DecisionKind.exemption_appeal, body)


def _decided(
    session: Session,
    principal: Principal,
    case_id: uuid.UUID,
    kind: DecisionKind,
    body: schemas.ExemptionDecisionIn,
) -> ExemptionCase:
    case = get(session, principal, case_id)
    decisions.decide_subject(
        session, principal, kind, case.id, approve=True, note=body.reasons, body=body
    )
    session.refresh(case)
    return case


# The committee's decision is asked when the case opens and stands ready while the evidence is
# reviewed; the review step itself comes first (409 `wrong-step` otherwise).
UNDER_REVIEW = "under_review"


def _case_state(session: Session, request: Decision) -> str:
    case = session.get(ExemptionCase, request.subject_id, with_for_update=True)
    assert case is not None
    opened = (CaseStatus.opened, CaseStatus.evidence_reviewed)
    return UNDER_REVIEW if case.status in opened else str(case.status)


def _concerned(session: Session, request: Decision) -> set[str]:
    """Everyone the case found took part in the loan, its opener included."""
    case = session.get(ExemptionCase, request.subject_id)
    assert case is not None
    return set(case.involved)


def _approve_decision(session: Session, principal: Principal, request: Decision, body: Any) -> None:
    case = session.get(ExemptionCase, request.subject_id, with_for_update=True)
    assert case is not None and isinstance(body, schemas.ExemptionDecisionIn)
    _step(case, CaseStatus.decided)
    _judge(session, case, body)
    case.outcome, case.reasons = body.outcome, body.reasons
    _audit(session, principal, case, "decided", outcome=body.outcome)


def _approve_appeal(session: Session, principal: Principal, request: Decision, body: Any) -> None:
    case = session.get(ExemptionCase, request.subject_id, with_for_update=True)
    assert case is not None and isinstance(body, schemas.ExemptionDecisionIn)
    _step(case, CaseStatus.final)
    _judge(session, case, body)
    case.final_outcome, case.final_reasons = body.outcome, body.reasons
    _audit(session, principal, case, "final", outcome=body.outcome)


for _kind, _approve in (
    (DecisionKind.exemption, _approve_decision),
    (DecisionKind.exemption_appeal, _approve_appeal),
):
    decisions.handles(
        decisions.Handler(
            kind=_kind,
            requesters=frozenset({Role.loan_officer, Role.credit_reviewer, Role.risk_manager}),
            deciders=frozenset({Role.exemption_committee}),
            state=_case_state,
            approve=_approve,  # never declined: the committee decides with an outcome
            generic=False,  # the decision carries an outcome, situations and reasons
            parties=_concerned,
            outlives_the_loan=True,  # staff responsibility is judged after recovery too
        )
    )


def listed(
    session: Session, principal: Principal, status: CaseStatus | None
) -> list[ExemptionCase]:
    query = select(ExemptionCase).order_by(ExemptionCase.opened_at.desc()).limit(500)
    if status is not None:
        query = query.where(ExemptionCase.status == status)
    return list(session.scalars(readable(query, principal, ExemptionCase.region_code)))


def report(session: Session, principal: Principal, region: str | None) -> list[schemas.ReportRow]:
    """Cases by county, step and outcome (the appeal's outcome where there was one)."""
    outcome = func.coalesce(ExemptionCase.final_outcome, ExemptionCase.outcome)
    query = (
        select(ExemptionCase.region_code, ExemptionCase.status, outcome, func.count())
        .group_by(ExemptionCase.region_code, ExemptionCase.status, outcome)
        .order_by(ExemptionCase.region_code, ExemptionCase.status, outcome)
    )
    if region is not None:
        query = query.where(within(ExemptionCase.region_code, region))
    return [
        schemas.ReportRow(
            region_code=code,
            status=CaseStatus(status),
            outcome=Outcome(found) if found else None,
            cases=int(count),
        )
        for code, status, found, count in session.execute(
            query.where(scope_filter(principal, ExemptionCase.region_code))
        )
    ]
