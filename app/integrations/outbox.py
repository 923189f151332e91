"""Secrets in outbox payloads: an account number travels to core banking, a phone number to the
SMS gateway, but neither is stored in plaintext. Each is kept under `SEALED` as the AES-GCM
ciphertext its row holds (base64), opened only to build the request, and removed once the
message is delivered or has failed for good."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, literal, update
from sqlalchemy.orm import Session

from app.core.crypto import ACCOUNT, PHONE, get_cipher
from app.integrations.models import OutboxMessage

SEALED = "sealed"
# The field a sealed value travels as, and the column context it was encrypted under.
CONTEXTS = {"account": ACCOUNT, "phone": PHONE}


def seal(ciphertext: bytes) -> str:
    return base64.b64encode(ciphertext).decode()


def opened(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as sent: sealed fields decrypted in place of the sealed block."""
    sealed = payload.get(SEALED) or {}
    wire = {k: v for k, v in payload.items() if k != SEALED}
    cipher = get_cipher()
    for name, blob in sealed.items():
        wire[name] = cipher.decrypt(base64.b64decode(blob), CONTEXTS[name])
    return wire


def unsealed(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without its secrets: what is kept after delivery."""
    return {k: v for k, v in payload.items() if k != SEALED}


def stop(session: Session, keys: Any, status: str, from_: Iterable[str] = ("pending",)) -> int:
    """Messages (by idempotency key: a list, or a subquery of keys) no longer delivered: moved
    from `from_` to `status` (core banking settled it another way, a person cancelled it, the
    household opted out), their secrets dropped with them; how many. A message a worker is
    sending right now holds its row lock: this waits for it, and then finds it delivered."""
    stopped = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status.in_(tuple(from_)))
        .values(status=status, payload=OutboxMessage.payload.op("-")(literal(SEALED, String)))
        .returning(OutboxMessage.id)
    )
    return len(stopped.all())
