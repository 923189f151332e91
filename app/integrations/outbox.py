"""Secrets in outbox payloads: an account number travels to core banking, a phone number to the
SMS gateway, but neither is stored in plaintext. Each is kept under `SEALED` as the AES-GCM
ciphertext its row holds (base64), opened only to build the request, and removed once the
message is delivered or has failed for good."""

from __future__ import annotations

import base64
from typing import Any

from app.core.crypto import ACCOUNT, PHONE, get_cipher

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
