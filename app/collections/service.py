"""Collection cases: what the officer records (actions, promises) and what the day asks of
them (the work queue). The batch opens, escalates and closes cases and judges promises."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.collections import schemas
from app.collections.models import CollectionAction, CollectionCase, PromiseToPay
from app.core import clock
from app.core.auth import Principal
from app.core.i18n import Said, language_var
from app.core.problems import conflict, not_found
from app.core.scoping import readable, scope_filter, within
from app.core.settings import get_settings
from app.domain.collections import (
    MAX_PROMISE_DAYS,
    CloseReason,
    PromiseStatus,
    promise_date_allowed,
    suggested_actions,
)
from app.loans.models import Loan
from app.regions import service as regions


def _case(session: Session, principal: Principal, case_id: uuid.UUID) -> CollectionCase:
    case = session.get(CollectionCase, case_id)
    if case is None:
        raise not_found("Collection case")
    principal.ensure_region(case.region_code, "Collection case")
    return case


def _open_case(session: Session, principal: Principal, case_id: uuid.UUID) -> CollectionCase:
    case = session.get(CollectionCase, case_id, with_for_update=True)
    if case is None:
        raise not_found("Collection case")
    principal.ensure_region(case.region_code, "Collection case")
    if case.closed_on is not None:
        raise conflict(
            Said(f"该案件已于 {case.closed_on} 结案", f"The case closed on {case.closed_on}"),
            slug="case-closed",
        )
    return case


def outs(session: Session, cases: list[CollectionCase]) -> list[schemas.CollectionCaseOut]:
    """Cases with their loans, actions and promises, read in three statements."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    loans = {
        loan.id: loan
        for loan in session.scalars(select(Loan).where(Loan.id.in_({c.loan_id for c in cases})))
    }
    actions = _grouped(
        session, CollectionAction, ids, CollectionAction.taken_on, CollectionAction.recorded_at
    )
    promises = _grouped(session, PromiseToPay, ids, PromiseToPay.made_on)
    starts = get_settings().bucket_starts()
    result = []
    for case in cases:
        loan = loans[case.loan_id]
        result.append(
            schemas.CollectionCaseOut(
                id=case.id,
                loan_id=case.loan_id,
                region_code=case.region_code,
                officer=loan.officer,
                opened_on=case.opened_on,
                closed_on=case.closed_on,
                close_reason=CloseReason(case.close_reason) if case.close_reason else None,
                bucket=case.bucket,
                days_past_due=loan.days_past_due,
                escalated_on=case.escalated_on,
                overdue_principal=loan.overdue_principal,
                overdue_interest=loan.overdue_interest,
                penalty_outstanding=loan.penalty_outstanding,
                suggested_actions=list(suggested_actions(starts, case.bucket)),
                actions=[schemas.CollectionActionOut.model_validate(a) for a in actions[case.id]],
                promises=[schemas.PromiseOut.model_validate(p) for p in promises[case.id]],
            )
        )
    return result


def get(session: Session, principal: Principal, case_id: uuid.UUID) -> schemas.CollectionCaseOut:
    (out,) = outs(session, [_case(session, principal, case_id)])
    return out


def listed(
    session: Session,
    principal: Principal,
    *,
    open_only: bool,
    officer: str | None,
    bucket: str | None,
    region: str | None,
    loan_id: uuid.UUID | None,
    limit: int,
) -> list[schemas.CollectionCaseOut]:
    query = (
        select(CollectionCase)
        .join(Loan, Loan.id == CollectionCase.loan_id)
        .order_by(Loan.days_past_due.desc(), CollectionCase.id)
        .limit(limit)
    )
    if open_only:
        query = query.where(CollectionCase.closed_on.is_(None))
    if officer is not None:
        query = query.where(Loan.officer == officer)
    if bucket is not None:
        query = query.where(CollectionCase.bucket == bucket)
    if region is not None:
        query = query.where(within(CollectionCase.region_code, region))
    if loan_id is not None:
        query = query.where(CollectionCase.loan_id == loan_id)
    query = readable(query, principal, CollectionCase.region_code)
    return outs(session, list(session.scalars(query)))


def record_action(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.CollectionActionIn
) -> schemas.CollectionCaseOut:
    case = _open_case(session, principal, case_id)
    today = clock.today(session, case.region_code)
    taken_on = body.taken_on or today
    if not case.opened_on <= taken_on <= today:
        # well-formed, but not for this case's dates: refused by the record's state
        raise conflict(
            Said(
                f"催收日期应在立案日（{case.opened_on}）与今天（{today}）之间",
                f"An action is taken between the case's opening ({case.opened_on})"
                f" and today ({today})",
            ),
            slug="date-out-of-range",
        )
    if body.next_action_on is not None and body.next_action_on < taken_on:
        raise conflict(
            Said("下一步安排应晚于本次催收", "The next step comes after this action"),
            slug="date-out-of-range",
        )
    action = CollectionAction(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=body.kind,
        taken_on=taken_on,
        participants=[p.model_dump(mode="json") for p in body.participants],
        findings=sorted({f.value for f in body.findings}),
        notes=body.notes,
        next_step=body.next_step,
        next_action_on=body.next_action_on,
        recorded_by=principal.subject,
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        principal,
        "collection.action",
        "collection_case",
        case.id,
        region_code=case.region_code,
        after={"kind": body.kind, "taken_on": str(taken_on), "findings": action.findings},
    )
    return get(session, principal, case.id)


def record_promise(
    session: Session, principal: Principal, case_id: uuid.UUID, body: schemas.PromiseIn
) -> schemas.CollectionCaseOut:
    case = _open_case(session, principal, case_id)
    today = clock.today(session, case.region_code)
    if not promise_date_allowed(today, body.promised_on):
        raise conflict(
            Said(
                f"还款承诺日应在今天（{today}）起 {MAX_PROMISE_DAYS} 天以内",
                f"A promise falls due between today ({today}) and {MAX_PROMISE_DAYS} days on",
            ),
            slug="date-out-of-range",
        )
    promise = PromiseToPay(
        id=uuid.uuid4(),
        case_id=case.id,
        loan_id=case.loan_id,
        region_code=case.region_code,
        made_on=today,
        promised_on=body.promised_on,
        amount=body.amount,
        status=PromiseStatus.open,
        recorded_by=principal.subject,
    )
    session.add(promise)
    session.flush()
    audit.record(
        session,
        principal,
        "collection.promise",
        "collection_case",
        case.id,
        region_code=case.region_code,
        after={"promised_on": str(body.promised_on), "amount": str(body.amount)},
    )
    return get(session, principal, case.id)


def _reasons(
    escalated_on: date,
    actions: list[CollectionAction],
    promises: list[PromiseToPay],
    today: date,
) -> list[schemas.WorkReason]:
    """Why a case needs work today: its actions (oldest first) and promises as recorded."""
    last_action = max((a.taken_on for a in actions), default=None)
    reasons = []
    if any(
        p.status == PromiseStatus.broken
        and p.judged_on is not None
        and (last_action is None or p.judged_on > last_action)
        for p in promises
    ):
        reasons.append(schemas.WorkReason.broken_promise)
    if any(p.status == PromiseStatus.open and p.promised_on <= today for p in promises):
        reasons.append(schemas.WorkReason.promise_due)
    latest = actions[-1] if actions else None
    if latest is not None and latest.next_action_on is not None and latest.next_action_on <= today:
        reasons.append(schemas.WorkReason.action_due)
    if last_action is not None and escalated_on > last_action:
        reasons.append(schemas.WorkReason.escalated)
    if last_action is None:
        reasons.append(schemas.WorkReason.no_action_yet)
    return reasons


def _grouped(
    session: Session, model: Any, ids: list[uuid.UUID], *order: Any
) -> dict[Any, list[Any]]:
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in session.scalars(select(model).where(model.case_id.in_(ids)).order_by(*order)):
        found[row.case_id].append(row)
    return found


def work_queue(
    session: Session, principal: Principal, officer: str, limit: int = 2000
) -> schemas.WorkQueue:
    """What `officer` has to do today on their open cases, and why: each case judged on its
    county's business date from its own rows (no answer is built to judge it); the first
    `limit` by priority are answered in full, and `total` says how many need work."""
    query = (
        select(CollectionCase, Loan.days_past_due)
        .join(Loan, Loan.id == CollectionCase.loan_id)
        .where(
            CollectionCase.closed_on.is_(None),
            Loan.officer == officer,
            scope_filter(principal, CollectionCase.region_code),
        )
        .order_by(Loan.days_past_due.desc(), CollectionCase.id)
        .limit(2000)
    )
    rows = [(case, days) for case, days in session.execute(query)]
    ids = [case.id for case, _ in rows]
    actions = _grouped(
        session, CollectionAction, ids, CollectionAction.taken_on, CollectionAction.recorded_at
    )
    promises = _grouped(session, PromiseToPay, ids, PromiseToPay.made_on)
    dates = {code: clock.today(session, code) for code in {c.region_code for c, _ in rows}}
    judged = [
        (case, days, reasons)
        for case, days in rows
        if (
            reasons := _reasons(
                case.escalated_on, actions[case.id], promises[case.id], dates[case.region_code]
            )
        )
    ]
    judged.sort(key=lambda j: (schemas.WorkReason.broken_promise not in j[2], -j[1], str(j[0].id)))
    chosen = judged[:limit]
    full = outs(session, [case for case, _, _ in chosen])
    return schemas.WorkQueue(
        officer=officer,
        as_of=clock.today(),
        items=[
            schemas.WorkItem(case=out, reasons=reasons)
            for out, (_, _, reasons) in zip(full, chosen, strict=True)
        ],
        total=len(judged),
    )


def county(session: Session, principal: Principal, code: str) -> schemas.CountyCollectionsOut:
    """A county's overdue picture: its overdue ratio and growth month on month, taken from the
    very assessment that raises its 4.3 alert (regions.assess), beside its collection work."""
    principal.ensure_region(code, "Region")
    stat, found = regions.assess(session, code)
    open_cases = CollectionCase.closed_on.is_(None)
    by_bucket = dict(
        session.execute(
            select(CollectionCase.bucket, func.count())
            .where(CollectionCase.region_code == code, open_cases)
            .group_by(CollectionCase.bucket)
        ).all()
    )
    never_acted = session.scalar(
        select(func.count())
        .select_from(CollectionCase)
        .where(
            CollectionCase.region_code == code,
            open_cases,
            ~exists().where(CollectionAction.case_id == CollectionCase.id),
        )
    )
    since = clock.today(session, code) - timedelta(days=30)
    broken = session.scalar(
        select(func.count())
        .select_from(PromiseToPay)
        .where(
            PromiseToPay.region_code == code,
            PromiseToPay.status == PromiseStatus.broken,
            PromiseToPay.judged_on >= since,
        )
    )
    growth = found.overdue_growth if found else None
    month_ago = found.overdue_ratio - growth if found and growth is not None else None
    return schemas.CountyCollectionsOut(
        region_code=code,
        business_date=stat.business_date if stat else None,
        overdue_ratio=found.overdue_ratio if found else None,
        overdue_ratio_month_ago=month_ago,
        overdue_growth=growth,
        alert=bool(found and found.alert),
        suspension_recommended=bool(found and found.suspension_recommended),
        reasons=[r.in_(language_var.get()) for r in found.reasons] if found else [],
        open_cases={str(k): int(v) for k, v in by_bucket.items()},
        cases_never_acted_on=int(never_acted or 0),
        promises_broken_last_30_days=int(broken or 0),
    )
