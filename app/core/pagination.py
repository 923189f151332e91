"""Opaque keyset cursors for list endpoints, signed: a cursor the service did not issue (of any
JSON shape) is refused with 422 before anything reads it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from app.core.i18n import Said
from app.core.problems import Problem
from app.core.settings import get_settings

_SIGNATURE_BYTES = 16


def _signature(raw: bytes) -> bytes:
    key = get_settings().data_hash_key.encode()
    return hmac.digest(key, b"cursor\0" + raw, hashlib.sha256)[:_SIGNATURE_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return f"{_b64(raw)}.{_b64(_signature(raw))}"


def invalid_cursor() -> Problem:
    return Problem(422, Said("分页游标无效", "The cursor is not valid"), slug="validation-error")


def decode_cursor(cursor: str) -> dict[str, Any]:
    invalid = invalid_cursor()
    body, _, signature = cursor.partition(".")
    try:
        raw = _unb64(body)
        valid = hmac.compare_digest(_unb64(signature), _signature(raw))
        value = json.loads(raw) if valid else None
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(value, dict):
        raise invalid
    return value
