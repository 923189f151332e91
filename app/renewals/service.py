"""Renewal (续贷) and extension (展期): an officer requests, a credit reviewer decides (never the
same person). Eligibility is checked under the 2026 terms when requested and again when decided;
refusals name the clause (2.3, 4.2, and for renewals every eligibility rule)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, column, select, table
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal, Role
from app.core.i18n import Said
from app.core.pagination import total_of
from app.core.problems import Problem, conflict, loan_is, not_found
from app.core.scoping import readable, within
from app.core.settings import get_settings
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain import diversion, position, renewal, subsidy
from app.domain import eligibility as rules
from app.domain.decisions import DecisionKind
from app.domain.labels import label
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.domain.policy import CURRENT, Purpose, RepaymentMethod
from app.domain.rules import RuleResult
from app.eligibility import facts as household_facts
from app.loans import lifecycle
from app.loans import service as loans
from app.loans.models import Loan
from app.policy.schemas import RuleOut
from app.policy.service import rule_failures, rule_json
from app.regions import service as regions
from app.renewals import schemas
from app.renewals.models import ChainRequest

Kind = renewal.ChainAction


def evaluate(
    session: Session, loan: Loan, kind: Kind, months: int, day: date, *, deciding: bool
) -> tuple[list[RuleResult], bool]:
    """Every rule for the request, and whether granting it is a restructuring (3.1)."""
    state = household_facts.load(session, loan.household_id, excluding_loan=loan.id)
    assert state is not None and loan.value_date is not None
    assert loan.maturity_date is not None
    rows = lifecycle.instalments(session, loan.id)
    renewed = (
        position.maturing_principal(rows, loan.maturity_date, day) if kind is Kind.renewal else ZERO
    )
    facts = renewal.LoanChainFacts(
        policy_version=loan.policy_version,
        issue_date=loan.signed_on,
        maturity_date=loan.maturity_date,
        original_term_months=loan.term_months,
        renewals_or_extensions_in_chain=loan.chain_actions,
        roster_status=state.roster_status(day),
        unresolved_misuse=loan.misuse_since is not None,
        any_amount_overdue=renewal.in_difficulty(
            loan.days_past_due,
            loan.overdue_principal,
            loan.overdue_interest,
            loan.penalty_outstanding,
            renewed,
        ),
    )
    decision = renewal.evaluate(facts, kind, months)
    found = list(decision.rules)
    if kind is Kind.extension:
        found.append(renewal.check_extension_before_maturity(day, loan.maturity_date))
    else:
        found.append(
            renewal.check_renewal_at_maturity(day, loan.maturity_date)
            if deciding
            else renewal.check_renewal_window(day, loan.maturity_date)
        )
        found.append(
            renewal.check_interest_settled(
                position.unpaid_interest_through(rows, day), loan.penalty_outstanding
            )
        )
    # 2.3, 5.2: a renewal, and a legacy loan's extension, run the full 2026 eligibility.
    if renewal.runs_new_notice_eligibility(loan.policy_version, kind):
        eligibility = rules.evaluate(
            state.eligibility_input(
                loan.borrower_member_id,
                day,
                rules.LoanRequest(
                    amount=loan.principal_outstanding,
                    term_months=months,
                    purpose=Purpose(loan.purpose),
                    large_production=loan.large_production,
                    guarantee_required=False,
                ),
            )
        )
        found += eligibility.rules
    return found, decision.restructuring


def _refusal(kind: Kind, found: list[RuleResult]) -> Problem:
    return conflict(
        Said(f"不能办理{label(kind)}", f"The {kind.value} cannot be granted"),
        rule_failures(found),
        slug="policy-refusal",
    )


def request(
    session: Session,
    principal: Principal,
    loan_id: uuid.UUID,
    kind: Kind,
    months: int,
    reason: str,
    method: RepaymentMethod | None,
) -> ChainRequest:
    loan = loans.get(session, principal, loan_id, for_update=True)
    if loan.status != LoanStatus.active:
        raise loan_is(
            loan.status,
            Said("只有在贷贷款可以续贷或展期", "only an active loan is renewed or extended"),
        )
    day = clock.today(session, loan.region_code)
    found, restructuring = evaluate(session, loan, kind, months, day, deciding=False)
    if not all(r.passed for r in found):
        raise _refusal(kind, found)
    if session.scalar(
        select(ChainRequest.id).where(
            ChainRequest.loan_id == loan.id, ChainRequest.status == "requested"
        )
    ):
        raise conflict(
            Said(
                "该贷款已有待审批的续贷或展期申请",
                "A renewal or extension request for this loan awaits a decision",
            )
        )
    row = ChainRequest(
        id=uuid.uuid4(),
        loan_id=loan.id,
        region_code=loan.region_code,
        kind=kind.value,
        status="requested",
        months=months,
        repayment_method=method.value if method else None,
        reason=reason,
        requested_on=day,
        rules=[rule_json(r) for r in found],
        restructuring=restructuring,
    )
    session.add(row)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind(kind.value),
        row.id,
        asked_state=loan.status,
        region_code=loan.region_code,
        loan_id=loan.id,
        reason=reason,
        summary={"months": months},
    )
    audit.record(
        session,
        principal,
        f"loan.{kind.value}_request",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={"request_id": str(row.id), "months": months},
    )
    return row


def decide(
    session: Session,
    principal: Principal,
    loan_id: uuid.UUID,
    kind: Kind,
    body: schemas.ChainDecisionIn,
) -> ChainRequest:
    loan = loans.get(session, principal, loan_id)
    row = session.scalar(
        select(ChainRequest).where(
            ChainRequest.loan_id == loan.id,
            ChainRequest.kind == kind.value,
            ChainRequest.status == "requested",
        )
    )
    if row is None:
        raise not_found(f"Pending {kind.value} request")
    decisions.decide_subject(
        session,
        principal,
        DecisionKind(kind.value),
        row.id,
        approve=body.outcome == "approve",
        note=body.note,
        body=body,
        acknowledged=body.acknowledged,
    )
    session.refresh(row)
    return row


def _approve(session: Session, principal: Principal, decision: Decision, body: Any) -> None:
    row = session.get(ChainRequest, decision.subject_id, with_for_update=True)
    loan = session.get(Loan, decision.loan_id)
    assert row is not None and loan is not None
    kind = Kind(row.kind)
    calendar.lock_region_shared(session, loan.region_code)
    day = clock.today(session, loan.region_code)
    found, restructuring = evaluate(session, loan, kind, row.months, day, deciding=True)
    # The new period's subsidy: a renewal's new loan, a legacy loan's extension period (2.3).
    new_terms = None
    if renewal.runs_new_notice_eligibility(loan.policy_version, kind):
        rate = getattr(body, "annual_rate", None) if kind is Kind.renewal else loan.annual_rate
        assert rate is not None
        amount = loan.principal_outstanding if kind is Kind.renewal else loan.principal
        new_terms = regions.subsidy_split(
            session, loan.region_code, day, rate, amount, loan.large_production, CURRENT
        ).terms
        found += [
            subsidy.check_local_rate_from_programme(
                getattr(body, "local_subsidy_rate", None), new_terms.local_rate
            ),
            subsidy.check_borrower_share(new_terms, get_settings().borrower_rate_floor),
        ]
    if not all(r.passed for r in found):
        raise _refusal(kind, found)
    row.status, row.restructuring = "approved", restructuring
    row.rules = [rule_json(r) for r in found]
    if kind is Kind.extension:
        lifecycle.extend(
            session,
            loan,
            months=row.months,
            day=day,
            restructuring=restructuring,
            new_terms=new_terms,
            new_policy_version=CURRENT.code if new_terms is not None else None,
        )
    else:
        assert new_terms is not None and row.repayment_method is not None
        row.annual_rate, row.local_subsidy_rate = new_terms.annual_rate, new_terms.local_rate
        new = lifecycle.renew(
            session,
            loan,
            day=day,
            months=row.months,
            repayment_method=row.repayment_method,
            terms=new_terms,
            policy_version=CURRENT.code,
            contracted_by=decision.requested_by,
            restructuring=restructuring,
        )
        row.new_loan_id = new.id
    session.flush()
    audit.record(
        session,
        principal,
        f"loan.{kind.value}",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "request_id": str(row.id),
            "restructuring": restructuring,
            "new_loan_id": str(row.new_loan_id) if row.new_loan_id else None,
            "maturity_date": str(loan.maturity_date),
        },
    )


# monitoring owns the visits; a renewal reads their notes as the reviewer would
_VISITS = table("monitoring_visits", column("loan_id"), column("notes"), column("follow_up"))


def _warnings(session: Session, decision: Decision) -> list[RuleResult]:
    """1.8, 4.2: the request's reason and the loan's visit notes, screened for wording of
    diversion (a warning the reviewer acknowledges)."""
    notes = session.execute(
        select(_VISITS.c.notes, _VISITS.c.follow_up).where(_VISITS.c.loan_id == decision.loan_id)
    ).all()
    return [
        diversion.check_diversion_wording(
            decision.reason, *(text for visit in notes for text in visit)
        )
    ]


for _kind in Kind:
    decisions.handles(
        decisions.Handler(
            kind=DecisionKind(_kind.value),
            requesters=frozenset({Role.loan_officer}),
            deciders=frozenset({Role.credit_reviewer}),
            # the loan's status now: a paid-off, renewed or written-off loan is not extended
            state=decisions.status_of(Loan, decisions.the_loan),
            approve=_approve,
            settle=decisions.mirror_status(ChainRequest),
            warnings=_warnings,
            # a renewal's approval sets the new loan's rate and local subsidy: at its endpoint
            generic=_kind is Kind.extension,
        )
    )


def to_out(row: ChainRequest) -> schemas.ChainRequestOut:
    asked = row.decision
    assert asked is not None  # every request is asked through the decision mechanism
    return schemas.ChainRequestOut(
        id=row.id,
        loan_id=row.loan_id,
        kind=row.kind,
        status=row.status,
        months=row.months,
        repayment_method=RepaymentMethod(row.repayment_method) if row.repayment_method else None,
        reason=row.reason,
        requested_by=asked.requested_by,
        requested_on=row.requested_on,
        rules=[RuleOut.stored(r) for r in row.rules],
        restructuring=row.restructuring,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        annual_rate=row.annual_rate,
        decision_note=row.decision_note,
        new_loan_id=row.new_loan_id,
    )


def queue(
    session: Session,
    principal: Principal,
    *,
    status: str,
    kind: Kind | None,
    region: str | None,
    limit: int,
    offset: int,
    loan_id: uuid.UUID | None = None,
) -> tuple[list[tuple[ChainRequest, Loan]], int]:
    """Renewal and extension requests within the caller's regions, oldest first (the order a
    reviewer works them in), each with its loan; and how many match."""
    both = select(ChainRequest, Loan).join(Loan, Loan.id == ChainRequest.loan_id)
    query = cast("Select[Any]", both)  # a two-entity row: the helpers take one-column types
    if status != "any":
        query = query.where(ChainRequest.status == status)
    if kind is not None:
        query = query.where(ChainRequest.kind == kind.value)
    if loan_id is not None:
        query = query.where(ChainRequest.loan_id == loan_id)
    if region is not None:
        query = query.where(within(ChainRequest.region_code, region))
    query = readable(query, principal, ChainRequest.region_code)
    total = total_of(session, query)
    page = query.order_by(ChainRequest.requested_on, ChainRequest.id).limit(limit).offset(offset)
    return [(row, loan) for row, loan in session.execute(page)], total
