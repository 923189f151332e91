"""Opaque keyset cursors for list endpoints, signed: a cursor the service did not issue (of any
JSON shape) is refused with 422 before anything reads it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

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


def keyset_page(
    query: Select[Any],
    sort: str,
    columns: dict[str, Any],
    id_column: Any,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """`query` ordered by `sort` (a key of `columns`, `-` for descending), then by id, from
    after `cursor`. A cursor carries its sort: one issued for another order is refused."""
    descending = sort.startswith("-")
    column = columns[sort.lstrip("-")]
    if cursor is not None:
        position = decode_cursor(cursor)
        if position.get("sort") != sort or "id" not in position:
            raise invalid_cursor()
        try:
            last = (_typed(column, position.get("v")), uuid.UUID(str(position["id"])))
        except (TypeError, ValueError) as exc:
            raise invalid_cursor() from exc
        key = tuple_(column, id_column)
        query = query.where(key < last if descending else key > last)
    if descending:
        return query.order_by(column.desc(), id_column.desc()).limit(limit)
    return query.order_by(column, id_column).limit(limit)


def next_cursor(items: list[Any], sort: str, columns: dict[str, Any], limit: int) -> str | None:
    """The cursor after a full page (None at the end)."""
    if len(items) < limit:
        return None
    last = items[-1]
    name = columns[sort.lstrip("-")].key
    return encode_cursor({"sort": sort, "v": getattr(last, name), "id": str(last.id)})


def _typed(column: Any, value: Any) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        return datetime.fromisoformat(str(value))
    if kind is date:
        return date.fromisoformat(str(value))
    if kind is Decimal:
        return Decimal(str(value))
    return kind(value)


def total_of(session: Session, query: Select[Any]) -> int:
    """How many rows a list's filters match (before its cursor and limit)."""
    return int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
