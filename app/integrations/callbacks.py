"""A simulator's call back into Bangfu (core banking's confirmation, the SMS gateway's receipt),
retried as the real systems do: until an answer below 500, with a growing pause."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def call_back(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    token: str,
    on_error: Callable[[str], None] = lambda error: None,
    tries: int = 20,
) -> tuple[int | None, str | None]:
    """(the answer's status, None) once Bangfu answered below 500; (None, the last error)
    when every try failed. Each failed try is told to `on_error` as it happens (the core
    banking simulator's ledger shows it while the retries go on)."""
    error: str | None = None
    for attempt in range(tries):
        try:
            answer = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
            if answer.status_code < 500:
                return answer.status_code, None
            error = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        on_error(error)
        time.sleep(min(0.05 * 2**attempt, 2))
    return None, error
