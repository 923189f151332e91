"""ASGI middleware: request id, access log and metrics, body limits, and the unit of work.

The unit of work buffers the response so that the transaction commits *before* the client
hears of success: an acknowledged write is a committed write.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency, replica
from app.core.context import request_id_var
from app.core.db import DatabaseNotConfiguredError
from app.core.i18n import Said, language_var, negotiate
from app.core.metrics import observe_request
from app.core.problems import problem_response
from app.core.settings import get_settings
from app.core.sheets import XLSX_MEDIA_TYPE
from app.core.uow import UnitOfWork, caller_of
from app.core.uploads import CHUNK, BodyTooLargeError, Upload, holding

log = structlog.get_logger("bangfu.http")
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
REPLAY_HEADER = "idempotent-replayed"
# All request headers together (names and values). uvicorn's httptools parser sets no limit;
# a fronting proxy should refuse larger ones first (docs/security.md).
MAX_HEADER_BYTES = 16 * 1024
# File uploads: taken into a temporary file as they arrive, never held. Each path's body limit
# (the setting that holds it) and whether its files are binary (NULs allowed: photos, scans).
FILE_PATHS: dict[str, tuple[str, bool]] = {
    "/v1/roster/imports": ("max_import_bytes", False),
    "/v1/legacy-loans/sheet-imports": ("max_import_bytes", False),
    "/v1/attachments": ("evidence_max_bytes", True),
}
# A JSON import, parsed whole: a limit of its own (MAX_JSON_IMPORT_BYTES).
JSON_IMPORT_PATHS = frozenset({"/v1/legacy-loans/imports"})


class RequestContextMiddleware:
    """Outermost: request id (echoed as X-Request-ID), access log line and Prometheus metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _REQUEST_ID_RE.fullmatch(incoming) else str(uuid.uuid4())
        token = request_id_var.set(rid)
        spoken = language_var.set(negotiate(_header(scope, b"accept-language")))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            if sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
                # Refused before anything reads them (the bearer token included).
                await problem_response(
                    Request(scope),
                    431,
                    Said(
                        f"请求头超过 {MAX_HEADER_BYTES} 字节",
                        f"The request headers exceed {MAX_HEADER_BYTES} bytes",
                    ),
                    slug="headers-too-large",
                )(scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            observe_request(scope["method"], template, status, elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            request_id_var.reset(token)
            language_var.reset(spoken)


class UnitOfWorkMiddleware:
    """Per request: one session, one transaction, idempotency keys, and a clean 4xx/5xx."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in FILE_PATHS and scope["method"] == "POST":
            await self._with_upload(scope, receive, send)
            return
        request = Request(scope)
        settings = get_settings()
        limit = (
            settings.max_json_import_bytes
            if scope["path"] in JSON_IMPORT_PATHS
            else settings.max_body_bytes
        )
        try:
            body = await _read_body(receive, limit, scope)
        except BodyTooLargeError:
            await _too_large(request, limit)(scope, receive, send)
            return
        if _unstorable_text(scope, body):
            await _unstorable(request)(scope, receive, send)
            return

        idem = _idempotency_context(
            scope, lambda: idempotency.request_fingerprint(scope["method"], scope["path"], body)
        )
        await self._in_transaction(scope, _replaying(body), send, idem)

    async def _with_upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A file: read to disk as it arrives, checked for NULs on the way, and given to the
        endpoint as `scope["state"]["upload"]` (app/core/uploads.py); removed at the end."""
        request = Request(scope)
        setting, binary = FILE_PATHS[scope["path"]]
        limit: int = getattr(get_settings(), setting)
        try:
            upload = await _receive_upload(receive, limit, scope)
        except BodyTooLargeError:
            await _too_large(request, limit)(scope, receive, send)
            return
        with holding(upload):
            if _unstorable_upload(scope, upload, binary):
                await _unstorable(request)(scope, receive, send)
                return
            scope.setdefault("state", {})["upload"] = upload
            idem = _idempotency_context(scope, upload.digest.hexdigest)
            await self._in_transaction(scope, _replaying(b""), send, idem)

    async def _in_transaction(
        self,
        scope: Scope,
        replay_receive: Receive,
        send: Send,
        idem: _IdempotencyContext | None,
        *,
        primary_only: bool = False,
    ) -> None:
        request = Request(scope)
        uow = UnitOfWork(scope, primary_only=primary_only)
        scope.setdefault("state", {})["uow"] = uow
        buffered: list[Message] = []
        status = 500

        async def buffer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            buffered.append(message)

        try:
            if idem is not None:
                early = await uow.run(lambda: _idempotency_gate(uow, idem, request))
                if early is not None:
                    await uow.run(lambda: uow.close(rollback=True))
                    await early(scope, replay_receive, send)
                    return
            await self.app(scope, replay_receive, buffer)
            if uow.opened:  # one hand-off to end the transaction (on the loop: no thread)
                await uow.run(lambda: _finish(uow, idem, status, buffered, scope))
        except Exception as exc:
            await uow.run(lambda: _close_quietly(uow))
            if not primary_only and _read_again(scope, uow, exc):
                # the standby failed this read, or a pooled connection had gone (the database
                # restarted; the pool is renewed): read once more on the primary
                await self._in_transaction(scope, _replaying(b""), send, idem, primary_only=True)
                return
            await _failure_response(request, exc)(scope, replay_receive, send)
            return
        replica.console_remembers_write(scope, buffered)
        for message in buffered:
            await send(message)


def _read_again(scope: Scope, uow: UnitOfWork, exc: Exception) -> bool:
    """Whether a read that failed is to be read once more (a read has nothing to undo)."""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    if uow.on_standby and isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        replica.standby().failed(exc)
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def _finish(
    uow: UnitOfWork,
    idem: _IdempotencyContext | None,
    status: int,
    buffered: list[Message],
    scope: Scope,
) -> None:
    """Commit a success (with its idempotent answer), roll back anything else."""
    if status < 400:
        if idem is not None:
            _store_answer(uow, idem, status, buffered)
        uow.commit()
        if scope["method"] not in ("GET", "HEAD") and replica.replica_sessionmaker() is not None:
            replica.answer_with_lsn(uow.session, caller_of(scope), buffered)
    uow.close(rollback=status >= 400)


def _close_quietly(uow: UnitOfWork) -> None:
    # The connection may be gone (database restarted); the pool discards it.
    with contextlib.suppress(Exception):
        uow.close(rollback=True)


def _failure_response(request: Request, exc: Exception) -> Response:
    if isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError | DatabaseNotConfiguredError
    ):
        log.warning("database_unavailable", error_type=type(exc).__name__)
        return problem_response(
            request,
            503,
            Said("数据库暂不可用，请稍后重试。", "The database is unavailable; retry later."),
            slug="unavailable",
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, sa_exc.DataError):
        log.warning("data_error", error_type=type(exc.orig).__name__)
        return problem_response(
            request,
            422,
            Said(
                "有取值无法保存（过长或超出范围）。",
                "A value could not be stored (too long or out of range).",
            ),
            slug="validation-error",
        )
    if isinstance(exc, sa_exc.IntegrityError):
        log.warning("integrity_conflict", constraint=_constraint_name(exc))
        return problem_response(
            request,
            409,
            Said(
                "该变更与记录的当前状态冲突。",
                "The change conflicts with the current state of the records.",
            ),
            slug="conflict",
        )
    if isinstance(exc, sa_exc.TimeoutError):
        return problem_response(
            request,
            503,
            Said("服务繁忙，请稍后重试。", "The service is busy; retry later."),
            slug="unavailable",
            headers={"Retry-After": "2"},
        )
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return problem_response(
        request,
        500,
        Said(
            "服务内部出错，请将 request_id 告知技术支持。",
            "An internal error occurred; quote the request id to support.",
        ),
        slug="internal-error",
    )


def _constraint_name(exc: sa_exc.IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


class _IdempotencyContext:
    __slots__ = ("caller", "key", "method", "path", "request_hash", "ttl")

    def __init__(self, caller: str, key: str, method: str, path: str, request_hash: str) -> None:
        self.caller = caller
        self.key = key
        self.method = method
        self.path = path
        self.request_hash = request_hash
        self.ttl = timedelta(hours=get_settings().idempotency_ttl_hours)


def _idempotency_context(
    scope: Scope, request_hash: Callable[[], str]
) -> _IdempotencyContext | None:
    if scope["method"] != "POST":
        return None
    key = _header(scope, idempotency.HEADER.encode())
    if not key:
        return None
    caller = caller_of(scope)
    if caller is None:  # no valid token: the request is refused with 401 anyway
        return None
    return _IdempotencyContext(caller, key, scope["method"], scope["path"], request_hash())


def _idempotency_gate(
    uow: UnitOfWork, idem: _IdempotencyContext, request: Request
) -> Response | None:
    if len(idem.key) > idempotency.MAX_KEY_LENGTH:
        return problem_response(
            request,
            422,
            Said(
                f"Idempotency-Key 长度超过 {idempotency.MAX_KEY_LENGTH}",
                f"Idempotency-Key is longer than {idempotency.MAX_KEY_LENGTH}",
            ),
            slug="validation-error",
        )
    session = uow.session
    if not idempotency.try_lock(session, idem.caller, idem.key):
        return problem_response(
            request,
            409,
            Said(
                "使用该 Idempotency-Key 的请求仍在处理中",
                "A request with this Idempotency-Key is still being processed",
            ),
            slug="idempotency-in-progress",
            headers={"Retry-After": "1"},
        )
    stored = idempotency.find(session, idem.caller, idem.key, idem.ttl)
    if stored is None:
        return None
    if stored.request_hash != idem.request_hash:
        return problem_response(
            request,
            422,
            Said(
                "该 Idempotency-Key 已用于另一个不同的请求",
                "This Idempotency-Key was used with a different request",
            ),
            slug="idempotency-key-reused",
        )
    headers = dict(stored.response_headers)
    headers[REPLAY_HEADER] = "true"
    return Response(stored.response_body, status_code=stored.status_code, headers=headers)


_KEPT_HEADERS = {"content-type", "location"}


def _store_answer(
    uow: UnitOfWork, idem: _IdempotencyContext, status: int, buffered: list[Message]
) -> None:
    headers: dict[str, str] = {}
    body = b""
    for message in buffered:
        if message["type"] == "http.response.start":
            for name, value in message.get("headers", []):
                if name.decode("latin-1").lower() in _KEPT_HEADERS:
                    headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")
    idempotency.store(
        uow.session,
        caller=idem.caller,
        key=idem.key,
        request_hash=idem.request_hash,
        method=idem.method,
        path=idem.path,
        status_code=status,
        headers=headers,
        body=body,
    )


def _too_large(request: Request, limit: int) -> Response:
    return problem_response(
        request,
        413,
        Said(f"请求体超过 {limit:,} 字节", f"The body exceeds {limit:,} bytes"),
        slug="body-too-large",
    )


def _unstorable(request: Request) -> Response:
    return problem_response(
        request,
        422,
        Said(
            "文本不能包含 NUL 字符或不成对的代理字符",
            "Text may not contain NUL characters or unpaired surrogates",
        ),
        slug="validation-error",
    )


def _refuse_declared(scope: Scope, limit: int) -> None:
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError


async def _read_body(receive: Receive, limit: int, scope: Scope) -> bytes:
    _refuse_declared(scope, limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _receive_upload(receive: Receive, limit: int, scope: Scope) -> Upload:
    """The body into a temporary file, a megabyte at a time (written off the event loop)."""
    _refuse_declared(scope, limit)
    upload = Upload(idempotency.fingerprinter(scope["method"], scope["path"]))
    pending: list[bytes] = []
    held = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if upload.size + held + len(chunk) > limit:
                raise BodyTooLargeError
            pending.append(chunk)
            held += len(chunk)
            more = message.get("more_body", False)
            if held >= CHUNK or not more:
                block = b"".join(pending)
                pending, held = [], 0
                await anyio.to_thread.run_sync(upload.write, block)
            if not more:
                break
    except BaseException:
        upload.close()
        raise
    return upload.ready()


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    return receive


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _bad_text(value: str) -> bool:
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def _walk_strings(value: Any) -> bool:
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, dict):
        return any(_bad_text(k) or _walk_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_walk_strings(v) for v in value)
    return False


def _is_workbook(content_type: str, query: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/octet-stream":
        return "format=xlsx" in query
    return media_type == XLSX_MEDIA_TYPE


def _query(scope: Scope) -> str:
    return urllib.parse.unquote(scope.get("query_string", b"").decode("latin-1"))


def _unstorable_query(scope: Scope) -> bool:
    return "\x00" in _query(scope) or "\x00" in scope["path"]


def _unstorable_upload(scope: Scope, upload: Upload, binary: bool) -> bool:
    """A NUL in a text file (CSV, JSON lines) is refused at the door; a workbook is a zip, and
    a photo or a scan is binary."""
    if _unstorable_query(scope):
        return True
    if binary:
        return False
    return upload.has_nul and not _is_workbook(_header(scope, b"content-type") or "", _query(scope))


# What alone can decode to a NUL or a lone surrogate in a JSON body with no NUL byte (the only
# such body is UTF-8: any other encoding of JSON has NUL bytes): the escapes \u0000 and
# \uD800-\uDFFF, or a surrogate encoded as UTF-8, which json.loads lets through. A body with
# neither is not parsed here (a false alarm, such as an escaped backslash before "u0000", is
# parsed and judged as before).
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def _unstorable_text(scope: Scope, body: bytes) -> bool:
    """PostgreSQL stores neither NUL nor lone surrogates: refuse them at the door (422)
    rather than fail deep inside (500). Only a body the API reads is judged: another method's
    (and any but POST on a file's path) is answered by the routes, 405 where undeclared."""
    if _unstorable_query(scope):
        return True
    if scope["method"] not in ("POST", "PUT", "PATCH") or scope["path"] in FILE_PATHS:
        return False
    query = _query(scope)
    content_type = _header(scope, b"content-type") or ""
    if _is_workbook(content_type, query):
        return False  # a zip file: its NULs are structure, and XML cells cannot hold one
    if b"\x00" in body:
        return True
    if body and "json" in content_type and _MAYBE_UNSTORABLE.search(body):
        try:
            return _walk_strings(json.loads(body))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return False  # malformed: the validation layer answers 422
    return False


def session_of(request: Request) -> Session:
    uow: Any = request.scope["state"]["uow"]
    return uow.session  # type: ignore[no-any-return]
