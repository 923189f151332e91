"""The request's unit of work: its database session, opened on first use on the primary, on a
streaming standby for a read it may serve (app/core/replica.py), or, for the operations run on
the event loop, on an asyncio connection: read-only for the hottest reads (`db.STATEMENT_READS`),
autocommit for the hottest write (`db.STATEMENT_WRITES`). The middleware
(app/core/middleware.py) commits it or rolls it back, through `run`, before the client hears
the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn
from starlette.types import Scope

from app.core import replica
from app.core.auth import decode_token
from app.core.db import (
    STATEMENT_READS,
    STATEMENT_WRITES,
    get_engine,
    get_read_sessionmaker,
    get_sessionmaker,
    get_write_sessionmaker,
    runs_on_the_loop,
)
from app.core.metrics import READS
from app.core.problems import Problem
from app.core.settings import get_settings

T = TypeVar("T")


class UnitOfWork:
    """The request's database session, opened on first use: on the standby for a read it may
    serve (app/core/replica.py), on the primary otherwise."""

    def __init__(self, scope: Scope, *, primary_only: bool = False) -> None:
        self._session: Session | None = None
        self._scope = scope
        self._primary_only = primary_only
        self.on_standby = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._standby_session() or self._primary_session()
        return self._session

    def _primary_session(self) -> Session:
        route = getattr(self._scope.get("route"), "name", None)
        if route in STATEMENT_READS and self._scope["method"] == "GET":
            return get_read_sessionmaker()()
        if route in STATEMENT_WRITES:
            return get_write_sessionmaker()()
        return get_sessionmaker()()

    def _standby_session(self) -> Session | None:
        if self._primary_only or not replica.routed(self._scope):
            return None
        wanted = replica.wanted_lsn(self._scope, caller_of(self._scope))
        made = replica.replica_sessionmaker()
        if made is None or not replica.standby().serves(get_engine(), wanted):
            READS.labels("primary").inc()
            return None
        self.on_standby = True
        READS.labels("standby").inc()
        return made()

    @property
    def opened(self) -> bool:
        return self._session is not None

    async def run(self, work: Callable[[], T]) -> T:
        """`work`, which uses this session: on the loop if its connection is asyncio's, else in
        the thread pool."""
        return await in_session(self._session, work)

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()

    def close(self, *, rollback: bool) -> None:
        if self._session is not None:
            if rollback:
                self._session.rollback()
            self._session.close()


async def in_session(session: Session | None, work: Callable[[], T]) -> T:
    """Run `work` where the session's I/O may happen: on the loop under `greenlet_spawn` for an
    asyncio connection (`db.LOOP_OPERATIONS`), otherwise in the thread pool (blocking I/O)."""
    if session is not None and runs_on_the_loop(session):
        return await greenlet_spawn(work)
    return await anyio.to_thread.run_sync(work)


def caller_of(scope: Scope) -> str | None:
    """The verified token's subject: keys are scoped per caller, so a forged token must not
    reach another caller's stored answers. No valid token: the request is refused with 401."""
    authorization = next(
        (v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == b"authorization"),
        "",
    )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return decode_token(token.strip(), get_settings()).subject
    except Problem:
        return None
