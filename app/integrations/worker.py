"""Outbox delivery (`bangfu worker`): each pending message is claimed with SKIP LOCKED, sent by
its kind's sender (app/integrations/senders.py: the endpoint, timeout and retry policy) with the
message's own idempotency key, and marked delivered in the same short transaction. Errors and
timeouts are retried with exponential backoff and jitter, always with the same key, so core
banking never makes one instruction into two transfers. A kind with no sender fails at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, timedelta

import httpx
import structlog
from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from app.core import clock
from app.core.settings import Settings, get_settings
from app.integrations.models import OutboxMessage
from app.integrations.outbox import opened, unsealed
from app.integrations.senders import SENDERS, Sender

log = structlog.get_logger("bangfu.worker")


def deliver_one(
    session_factory: Callable[[], Session],
    client: httpx.Client,
    kinds: tuple[str, ...] | None = None,
) -> bool:
    """Deliver the next due message (of `kinds`, else of any kind), if any. True if one was
    handled."""
    settings = get_settings()
    with session_factory() as session, session.begin():
        message = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= func.now(),
                _of(kinds),
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if message is None:
            return False
        sender = SENDERS.get(message.kind)
        now = clock.now(UTC)
        if sender is not None and (later := sender.sendable_from(now, settings)) > now:
            message.next_attempt_at = later  # not now (quiet hours): not an attempt
            return True
        message.attempts += 1
        error: str | None = f"no sender for the kind {message.kind}"
        permanent = True
        if sender is not None:
            error, permanent = _send(client, sender, message, settings)
        now = clock.now(UTC)
        if error is None:
            message.status, message.delivered_at, message.last_error = "delivered", now, None
            message.payload = unsealed(message.payload)
        elif permanent:
            message.status, message.last_error = "failed", error
            message.payload = unsealed(message.payload)
            log.error("outbox_failed", message_id=str(message.id), error=error)
        else:
            assert sender is not None
            delay = sender.backoff(message.attempts, settings)
            message.next_attempt_at = now + timedelta(seconds=delay)
            message.last_error = error
            log.info(
                "outbox_retry", message_id=str(message.id), error=error, attempts=message.attempts
            )
        return True


def _send(
    client: httpx.Client, sender: Sender, message: OutboxMessage, settings: Settings
) -> tuple[str | None, bool]:
    """(the error, if any; whether it is final) of one try."""
    try:
        answer = client.post(
            sender.url(settings),
            json=opened(message.payload),
            headers={"Idempotency-Key": message.idempotency_key},
            timeout=sender.timeout_seconds(settings),
        )
    except httpx.HTTPError as exc:
        return type(exc).__name__, False
    if answer.status_code < 300:
        return None, False
    return f"HTTP {answer.status_code}", answer.status_code in sender.permanent


def _of(kinds: tuple[str, ...] | None) -> ColumnElement[bool]:
    return true() if kinds is None else OutboxMessage.kind.in_(kinds)


def pending(session_factory: Callable[[], Session], kinds: tuple[str, ...] | None = None) -> int:
    """Messages due now or being retried (within the longest backoff): a message held for
    later (a text in the quiet hours) does not keep an `--until-idle` worker waiting."""
    horizon = timedelta(seconds=get_settings().outbox_backoff_cap_seconds)
    with session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= func.now() + horizon,
                    _of(kinds),
                )
            )
            or 0
        )


def run(
    session_factory: Callable[[], Session],
    *,
    concurrency: int = 4,
    until_idle: bool = False,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
    kinds: tuple[str, ...] | None = None,
) -> None:
    """Deliver with `concurrency` threads (only `kinds`, when given: a worker of its own per
    outside system); with until_idle, return once nothing is pending."""
    stop = stop or threading.Event()
    timeout = get_settings().core_banking_timeout_seconds

    def loop() -> None:
        with httpx.Client(timeout=timeout) as client:
            while not stop.is_set():
                try:
                    handled = deliver_one(session_factory, client, kinds)
                except Exception:  # the database may be restarting: keep going
                    log.exception("outbox_loop_error")
                    handled = False
                if handled:
                    continue
                if until_idle and pending(session_factory, kinds) == 0:
                    return
                time.sleep(poll_seconds)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
