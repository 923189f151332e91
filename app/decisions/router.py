"""The inbox of four-eyes requests and the one endpoint that decides any of them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.core.auth import Staff
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.decisions import schemas, service
from app.domain.decisions import DecisionKind, DecisionStatus
from app.domain.labels import labelled

router = APIRouter(prefix="/v1", tags=["decisions"])


@router.get("/decisions", response_model=schemas.InboxPage, responses=problem_responses(403))
def list_decisions(
    session: DbSession,
    principal: Staff,
    kind: DecisionKind | None = None,
    status: DecisionStatus | None = DecisionStatus.pending,
    loan_id: Annotated[uuid.UUID | None, Query(description="one loan's requests")] = None,
    application_id: Annotated[
        uuid.UUID | None, Query(description="one application's request")
    ] = None,
    cursor: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.InboxPage:
    """Requests within your regions, oldest first (pending unless `status` says otherwise),
    each with whether you may decide it."""
    rows = service.pending_page(
        session,
        principal,
        kind=kind,
        status=status,
        limit=limit + 1,
        after=cursor,
        loan_id=loan_id,
        application_id=application_id,
    )
    page = rows[:limit]
    return schemas.InboxPage(
        items=[
            schemas.InboxItemOut.model_validate(
                {
                    **schemas.DecisionRecordOut.model_validate(r).model_dump(),
                    "may_decide": service.may_decide(session, principal, r),
                }
            )
            for r in page
        ],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


@router.get(
    "/decisions/{decision_id}",
    response_model=schemas.DecisionRecordOut,
    responses=problem_responses(404),
)
def get_decision(
    decision_id: uuid.UUID, session: DbSession, principal: Staff
) -> schemas.DecisionRecordOut:
    """One request and its decision: what it is about, the state it was asked in, who asked,
    who decided, when and why (404 outside your regions; national ones for national scope)."""
    return schemas.DecisionRecordOut.model_validate(service.get(session, principal, decision_id))


@router.post(
    "/decisions/{decision_id}/decision",
    response_model=schemas.DecisionRecordOut,
    responses=problem_responses(403, 404, 409),
)
def decide(
    decision_id: uuid.UUID,
    body: schemas.DecisionOutcomeIn,
    session: DbSession,
    principal: Staff,
) -> schemas.DecisionRecordOut:
    """Approve or decline any pending request your role decides (see the table above); 409
    `maker-checker` if you took part in it or its loans, `state-changed` if its subject has
    moved on since it was asked, `decided-elsewhere` for a kind whose approval needs terms
    (an application, a renewal: decided at their own endpoints)."""
    row, _ = service.decide(
        session,
        principal,
        decision_id,
        approve=body.outcome == "approve",
        note=body.note,
        body=body,
        generic=True,
        acknowledged=body.acknowledged,
    )
    return schemas.DecisionRecordOut.model_validate(row)


def who_decides() -> str:
    """The API document's table of every four-eyes action: who asks, who decides."""
    lines = [
        "| 事项 (kind) | 申请 (asks) | 审批 (decides) |",
        "|---|---|---|",
    ]
    for kind in DecisionKind:
        handler = service.HANDLERS.get(kind)
        if handler is None:
            continue
        lines.append(
            f"| {labelled('DecisionKind', kind)} (`{kind}`) | "
            f"{', '.join(sorted(handler.requesters))} | {', '.join(sorted(handler.deciders))} |"
        )
    return "\n".join(lines)
