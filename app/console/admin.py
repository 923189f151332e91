"""/v1/console-sessions: administrators see who is signed in to the console and end a session,
or every session of a person, at once (issue 26)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from app.console import sessions
from app.core.auth import Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses

router = APIRouter(prefix="/v1/console-sessions", tags=["console"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


class ConsoleSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject: str
    roles: list[str]
    regions: list[str]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime = Field(description="when the token it was opened with expires")
    ended_at: datetime | None
    end_reason: str | None = Field(
        description="signed_out, revoked, idle, expired or token_changed; null while open"
    )
    ended_by: str | None


class RevokeSubjectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject": "officer-zhao"}]})

    subject: str = Field(min_length=1, max_length=200, description="the token's `sub`")


class RevokedOut(BaseModel):
    revoked: int


@router.get("", response_model=list[ConsoleSessionOut], responses=problem_responses(403))
def list_console_sessions(
    session: DbSession,
    principal: Admin,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    open_only: Annotated[bool, Query(alias="open", description="only open sessions")] = True,
) -> list[ConsoleSessionOut]:
    """Console sessions within the administrator's regions, newest first (at most 500): who,
    with which roles and regions, since when, last seen, and how each one ended."""
    rows = sessions.sessions_of(session, principal, subject=subject, open_only=open_only)
    return [ConsoleSessionOut.model_validate(r) for r in rows]


@router.post(
    "/{session_id}/revocation",
    response_model=ConsoleSessionOut,
    responses=problem_responses(403, 404),
)
def revoke_console_session(
    session_id: uuid.UUID, session: DbSession, principal: Admin
) -> ConsoleSessionOut:
    """End one console session now: its next page asks its holder to sign in again. A session
    already ended stays as it ended (404 outside the administrator's regions)."""
    return ConsoleSessionOut.model_validate(sessions.revoke(session, principal, session_id))


@router.post("/revocations", response_model=RevokedOut, responses=problem_responses(403, 422))
def revoke_console_sessions_of(
    body: RevokeSubjectIn, session: DbSession, principal: Admin
) -> RevokedOut:
    """End every open console session of one person (within the administrator's regions), as
    when someone leaves the bank or a token is suspected stolen; how many were ended."""
    return RevokedOut(revoked=sessions.revoke_subject(session, principal, body.subject))
