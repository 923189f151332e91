"""Outbox senders, one per message kind (issue 27): where a kind of message goes, how long a
call may take, and how it is retried. A feature that sends something (an instruction to core
banking, a reminder to a borrower through an SMS gateway) declares its kind here with `sends`;
the outbox worker (app/integrations/worker.py) delivers every kind the same way: claimed with
SKIP LOCKED, sent with the message's own idempotency key, retried with backoff and jitter until
an answer that is final."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.core import clock
from app.core.settings import Settings
from app.domain.messages import sendable_from

# Answers that no retry will change: the message fails, for a person to look into.
PERMANENT = frozenset({400, 401, 403, 404, 422})


@dataclass(frozen=True, slots=True)
class Sender:
    kind: str
    url: Callable[[Settings], str]  # the endpoint, from the settings
    timeout_seconds: Callable[[Settings], float]
    backoff_base_seconds: Callable[[Settings], float]
    backoff_cap_seconds: Callable[[Settings], float]
    permanent: frozenset[int] = PERMANENT
    # When a message may go out at all (a borrower's quiet hours): the first moment at or after
    # now; None, any time.
    window: Callable[[datetime, Settings], datetime] | None = None

    def sendable_from(self, now: datetime, settings: Settings) -> datetime:
        return now if self.window is None else self.window(now, settings)

    def backoff(self, attempts: int, settings: Settings) -> float:
        """Seconds before the next try: doubling from the base up to the cap, with jitter."""
        base, cap = self.backoff_base_seconds(settings), self.backoff_cap_seconds(settings)
        delay: float = min(cap, base * 2 ** max(attempts - 1, 0))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 (jitter, not secrecy)


SENDERS: dict[str, Sender] = {}


def sends(sender: Sender) -> Sender:
    """Declare how a kind of message is delivered."""
    SENDERS[sender.kind] = sender
    return sender


# An instruction to pay a loan out (app/disbursements): core banking's transfer endpoint.
CORE_DISBURSEMENT = sends(
    Sender(
        kind="core.disbursement",
        url=lambda s: s.core_banking_url + "/transfers",
        timeout_seconds=lambda s: s.core_banking_timeout_seconds,
        backoff_base_seconds=lambda s: s.outbox_backoff_base_seconds,
        backoff_cap_seconds=lambda s: s.outbox_backoff_cap_seconds,
    )
)


def _outside_quiet_hours(now: datetime, settings: Settings) -> datetime:
    return sendable_from(
        now.astimezone(clock.SHANGHAI), settings.sms_quiet_start, settings.sms_quiet_end
    )


# A text to a borrower (app/messages): the SMS gateway, never in the quiet hours.
SMS = sends(
    Sender(
        kind="sms",
        url=lambda s: s.sms_gateway_url + "/messages",
        timeout_seconds=lambda s: s.sms_timeout_seconds,
        backoff_base_seconds=lambda s: s.outbox_backoff_base_seconds,
        backoff_cap_seconds=lambda s: s.outbox_backoff_cap_seconds,
        window=_outside_quiet_hours,
    )
)
