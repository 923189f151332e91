"""Idempotency keys, stored in PostgreSQL so that they hold across server processes.

A POST with `Idempotency-Key` runs inside the request's transaction, which first takes a
transaction-scoped advisory lock on (caller, key):

* lock not available: the first request is still running → 409;
* a stored answer within the TTL with the same body → replay its status and body;
* a stored answer with another body → 422;
* otherwise the request runs, and its answer is stored in the same transaction as its
  effects, so a crash leaves neither (and the key free for the retry).

Only successful answers (status < 400) are stored: a refused request wrote nothing, and
retrying it re-evaluates it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, LargeBinary, SmallInteger, String, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    status_code: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False)
    response_body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True
    )


def fingerprinter(method: str, path: str) -> hashlib._Hash:
    """The hash of a request whose body is fed to it as it arrives (an uploaded file): the same
    as `request_fingerprint` for a body that is not JSON."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0"):
        digest.update(part)
    return digest


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of what the request asks for; JSON bodies are canonicalised (key order, spacing)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body  # not JSON (or nested past parsing): the bytes as sent
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", canonical):
        digest.update(part)
    return digest.hexdigest()


def try_lock(session: Session, caller: str, key: str) -> bool:
    """Transaction-scoped advisory lock on (caller, key); False if another request holds it."""
    digest = hashlib.sha256(f"idempotency\n{caller}\n{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    return bool(
        session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id}).scalar_one()
    )


def find(session: Session, caller: str, key: str, ttl: timedelta) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.caller == caller,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at > func.now() - ttl,
        )
    )


def store(
    session: Session,
    *,
    caller: str,
    key: str,
    request_hash: str,
    method: str,
    path: str,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Save the answer; an expired record under the same key is replaced."""
    values: dict[str, Any] = {
        "caller": caller,
        "key": key,
        "request_hash": request_hash,
        "method": method,
        "path": path,
        "status_code": status_code,
        "response_headers": headers,
        "response_body": body,
    }
    stmt = insert(IdempotencyRecord).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["caller", "key"], set_={**values, "created_at": func.now()}
    )
    session.execute(stmt)


def purge_expired(session: Session, ttl: timedelta) -> int:
    result = session.execute(
        text("DELETE FROM idempotency_keys WHERE created_at < now() - :ttl"), {"ttl": ttl}
    )
    return int(getattr(result, "rowcount", 0) or 0)
