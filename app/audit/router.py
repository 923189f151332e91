"""GET /v1/audit-events: the append-only trail, for auditors and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventOut, AuditPage
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.pagination import decode_cursor, encode_cursor, invalid_cursor
from app.core.problems import problem_responses
from app.core.types import Instant

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit-events", response_model=AuditPage, responses=problem_responses(403))
def list_audit_events(
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.auditor, Role.admin))],
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    since: Annotated[Instant | None, Query(description="occurred at or after")] = None,
    until: Annotated[Instant | None, Query(description="occurred before")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Newest first. Pass `next_cursor` back as `cursor` for the next page."""
    after_id = None
    if cursor is not None:
        after_id = decode_cursor(cursor).get("id")
        if not isinstance(after_id, int):
            raise invalid_cursor()
    events = service.list_events(
        session,
        principal,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
        after_id=after_id,
        limit=limit,
    )
    items = [AuditEventOut.model_validate(e) for e in events]
    next_cursor = encode_cursor({"id": events[-1].id}) if len(events) == limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
