"""Console sessions (issue 26). Signing in opens one; every page finds it by the cookie's secret
and ends it when it has been idle longer than CONSOLE_IDLE_MINUTES, when its token has expired,
or when the token no longer names the subject, roles and regions it was opened with. Signing
out and an administrator's revocation end it at once. Times are the database's `now()`."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.console.models import ConsoleSession
from app.core.auth import Principal, Role, decode_token, token_expiry
from app.core.crypto import get_cipher
from app.core.db import get_sessionmaker
from app.core.problems import Problem, not_found
from app.core.settings import get_settings

# last_seen_at is written at most this often: a page view is not a write per click.
_TOUCH_EVERY = timedelta(seconds=30)


class SessionEndedError(Exception):
    """No open session for this cookie: sign in again."""


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _sealed(session_id: uuid.UUID) -> str:
    return f"console-session:{session_id}"


def _bound(principal: Principal) -> tuple[str, list[str], list[str]]:
    return principal.subject, sorted(principal.roles), list(principal.regions)


def open_session(db: Session, token: str) -> str:
    """A session for a valid token; the secret for the cookie (never stored)."""
    principal = decode_token(token, get_settings())
    secret = secrets.token_urlsafe(32)
    session_id = uuid.uuid4()
    subject, roles, regions = _bound(principal)
    db.add(
        ConsoleSession(
            id=session_id,
            secret_hash=_hash(secret),
            token_sealed=get_cipher().encrypt_bytes(token.encode(), _sealed(session_id)),
            subject=subject,
            roles=roles,
            regions=regions,
            expires_at=datetime.fromtimestamp(token_expiry(token), UTC),
        )
    )
    db.flush()
    audit.record(db, principal, "console.signed_in", "console_session", session_id)
    return secret


def resolve(secret: str) -> tuple[Principal, str] | None:
    """`current` in a transaction of its own, committed before the page calls the API (which
    takes connections of its own): a session that has outlived itself is ended for good."""
    with get_sessionmaker().begin() as db:
        try:
            return current(db, secret)
        except SessionEndedError:
            pass
    return None


def current(db: Session, secret: str) -> tuple[Principal, str]:
    """The principal and token of the open session this secret names; SessionEndedError (the
    session ended here, if it had outlived its idle time or its token) otherwise."""
    found = db.execute(
        select(ConsoleSession, func.now()).where(ConsoleSession.secret_hash == _hash(secret))
    ).one_or_none()
    if found is None or found[0].ended_at is not None:
        raise SessionEndedError
    row, now = found
    idle = timedelta(minutes=get_settings().console_idle_minutes)
    if now - row.last_seen_at > idle:
        _end(db, row, "idle")
    if now >= row.expires_at:
        _end(db, row, "expired")
    token = get_cipher().decrypt_bytes(row.token_sealed, _sealed(row.id)).decode()
    try:
        principal = decode_token(token, get_settings())
    except Problem:
        _end(db, row, "expired")
    if _bound(principal) != (row.subject, sorted(row.roles), list(row.regions)):
        _end(db, row, "token_changed")
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return principal, token


def _close(db: Session, row: ConsoleSession, reason: str, by: str | None = None) -> None:
    db.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == row.id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=func.now(), end_reason=reason, ended_by=by)
    )


def _end(db: Session, row: ConsoleSession, reason: str) -> NoReturn:
    """Close an outlived session and refuse the page."""
    _close(db, row, reason)
    raise SessionEndedError


def sign_out(db: Session, secret: str) -> None:
    """End the session this secret names, if it is open."""
    row = db.scalar(select(ConsoleSession).where(ConsoleSession.secret_hash == _hash(secret)))
    if row is None or row.ended_at is not None:
        return
    _close(db, row, "signed_out", row.subject)
    audit.record(db, _principal_of(row), "console.signed_out", "console_session", row.id)


def _principal_of(row: ConsoleSession) -> Principal:
    return Principal(row.subject, frozenset(Role(r) for r in row.roles), tuple(row.regions))


def sessions_of(
    db: Session, principal: Principal, *, subject: str | None, open_only: bool
) -> Sequence[ConsoleSession]:
    """Sessions an administrator may see: those whose regions lie within theirs."""
    query = select(ConsoleSession).order_by(ConsoleSession.created_at.desc()).limit(500)
    if subject is not None:
        query = query.where(ConsoleSession.subject == subject)
    if open_only:
        query = query.where(ConsoleSession.ended_at.is_(None))
    return [row for row in db.scalars(query) if principal.covers(list(row.regions))]


def revoke(db: Session, principal: Principal, session_id: uuid.UUID) -> ConsoleSession:
    """End one session now (404 outside the administrator's regions); an ended one stays as
    it ended."""
    row = db.get(ConsoleSession, session_id, with_for_update=True)
    if row is None or not principal.covers(list(row.regions)):
        raise not_found("ConsoleSession")
    if row.ended_at is None:
        _revoke(db, principal, row)
        db.refresh(row)
    return row


def revoke_subject(db: Session, principal: Principal, subject: str) -> int:
    """End every open session of `subject` within the administrator's regions; how many."""
    rows = sessions_of(db, principal, subject=subject, open_only=True)
    for row in rows:
        _revoke(db, principal, row)
    return len(rows)


def _revoke(db: Session, principal: Principal, row: ConsoleSession) -> None:
    _close(db, row, "revoked", principal.subject)
    audit.record(
        db,
        principal,
        "console.session_revoked",
        "console_session",
        row.id,
        after={"subject": row.subject},
    )
