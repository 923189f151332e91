"""Write and read the audit trail. Writes join the caller's transaction: the change and its
audit event commit together or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.auth import Principal
from app.core.context import request_id_var
from app.core.db import get_sessionmaker
from app.core.scoping import readable


def record(
    session: Session,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    region_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit event. Summaries must already be masked (no full ID or phone)."""
    session.add(
        AuditEvent(
            **event_values(
                principal,
                action,
                entity_type,
                entity_id,
                region_code=region_code,
                before=before,
                after=after,
            )
        )
    )


def record_read(
    principal: Principal, what: str, *, region_code: str | None, query: dict[str, str]
) -> None:
    """A read that must leave a trace whatever answers it (a department's, 3.4): written and
    committed on the primary in a transaction of its own, before the answer is made, since
    the read itself may be served by a standby that takes no writes."""
    with get_sessionmaker()() as own, own.begin():
        record(
            own,
            principal,
            "department.read",
            "report",
            what,
            region_code=region_code,
            after={"path": what, "query": query},
        )


EVENT_COLUMNS = (
    "actor",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "region_code",
    "before",
    "after",
    "request_id",
)


def event_values(
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    region_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit event (EVENT_COLUMNS), for a caller that writes it in its own
    statement."""
    return {
        "actor": principal.subject,
        "actor_role": ",".join(sorted(principal.roles)),
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "region_code": region_code,
        "before": before,
        "after": after,
        "request_id": request_id_var.get(),
    }


def list_events(
    session: Session,
    principal: Principal,
    *,
    entity_type: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    """Newest first, keyset-paginated on id; scoped to the caller's regions."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if after_id is not None:
        query = query.where(AuditEvent.id < after_id)
    # Events without a region (imports, reference data) are national: scoped callers see none.
    return list(session.scalars(readable(query, principal, AuditEvent.region_code)))
