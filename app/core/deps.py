"""FastAPI dependencies shared by every feature router."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.core.db import LOOP_OPERATIONS
from app.core.middleware import session_of
from app.core.uow import in_session

P = ParamSpec("P")
R = TypeVar("R")


async def get_session(request: Request) -> Session:
    """The request's session; the unit-of-work middleware commits or rolls it back. (No I/O
    here: the session connects on first use, in the handler's thread.)"""
    return session_of(request)


DbSession = Annotated[Session, Depends(get_session)]


def on_the_loop(handler: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """A plain handler run on the event loop, its session's I/O awaited on an asyncio
    connection, instead of in the thread pool (`db.LOOP_OPERATIONS` says why and which). Its
    session must be its `session: DbSession` argument; a session opened before routing (an
    Idempotency-Key's look-up) is a thread's, and the handler then runs in a thread as usual."""
    if "session" not in inspect.signature(handler).parameters:
        raise TypeError(f"{handler.__name__} has no `session: DbSession` to run on the loop")
    LOOP_OPERATIONS.add(handler.__name__)

    @functools.wraps(handler)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session: Any = kwargs["session"]  # FastAPI passes every argument by name
        return await in_session(session, functools.partial(handler, *args, **kwargs))

    return run
