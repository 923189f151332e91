"""Database engine, declarative base and the per-request unit of work.

One SQLAlchemy `Session` per request: the `UnitOfWork` middleware (app/core/middleware.py) opens
it, handlers and services use it and never commit, and the middleware commits when the
response is a success or rolls back otherwise, before a byte of the response is sent.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from psycopg.types.json import Jsonb
from pydantic_core import to_json
from sqlalchemy import (
    BindParameter,
    Connection,
    DateTime,
    Engine,
    MetaData,
    bindparam,
    create_engine,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ClauseElement

from app.core.settings import get_settings, sqlalchemy_url

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class DatabaseNotConfiguredError(RuntimeError):
    pass


def database_url() -> str:
    url = get_settings().database_url
    if not url:
        raise DatabaseNotConfiguredError(
            "DATABASE_URL is not set; `bangfu serve` and the tests start an embedded server"
        )
    return url


@lru_cache
def get_engine() -> Engine:
    return make_engine(database_url())


def make_engine(
    libpq_url: str,
    *,
    read_only: bool = False,
    autocommit: bool = False,
    name: str = "bangfu",
    timeout_seconds: int = 5,
    on_the_loop: bool = False,
) -> Engine:
    """An engine as the service connects: its statement timeout and time zone, pools of
    DB_POOL_SIZE, `read_only` connections refusing writes, `autocommit` ones sending no BEGIN.
    No ping before each use (a round trip per request): a connection that has gone (the
    database restarted) fails its first statement, the pool renews every connection older
    than that, a read is read again and a write answers 503 (nothing committed, its
    Idempotency-Key makes the retry safe).

    `on_the_loop`: psycopg's asyncio connection behind SQLAlchemy's greenlet bridge, for the
    operations in `LOOP_OPERATIONS`. The engine returned is still used as a plain one, but only
    from code run by `greenlet_spawn` on the event loop (app/core/deps.py `on_the_loop`)."""
    settings = get_settings()
    options = f"-c statement_timeout={settings.db_statement_timeout_ms} -c timezone=Asia/Shanghai"
    if read_only:
        options += " -c default_transaction_read_only=on"
    arguments: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        # On the loop, no overflow: a burst beyond the pool waits its turn for a connection (an
        # await) instead of opening one for a request and closing it after, which cost the
        # server a process each and made the open loop's stalls (150 a 10 s at 540/s, p99
        # 226-390 ms; none, p99 11-15 ms: docs/benchmarks.md). A thread pool's request already
        # holds a thread while it waits; its pools keep their overflow.
        "max_overflow": 0 if on_the_loop else settings.db_pool_size,
        # Autocommit: no transaction is ever left open, so a connection given back to the pool
        # is not rolled back (on the loop that call is a hand-off between greenlets).
        **({"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if autocommit else {}),
        "pool_pre_ping": False,
        "pool_timeout": timeout_seconds,
        "connect_args": {
            "options": options,
            "connect_timeout": timeout_seconds,
            "application_name": name,
        },
    }
    if on_the_loop:
        return create_async_engine(sqlalchemy_url(libpq_url), **arguments).sync_engine
    return create_engine(sqlalchemy_url(libpq_url), **arguments)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=True)


# Operations whose handler runs on the event loop, its database I/O awaited, instead of in the
# thread pool: the hottest and shortest (submitting an application, a loan and its schedule),
# where handing the request to a thread and back (twice for a write: the handler, then the
# commit) was a fifth of the API's CPU (py-spy; bench.figures, docs/benchmarks.md). Everything
# else keeps the thread pool, so a long export or a PDF never holds the loop. A handler joins
# by `app.core.deps.on_the_loop`, which adds its name here; each is a statement read or a
# statement write (the service will not start otherwise).
LOOP_OPERATIONS: set[str] = set()

# Statement reads, a loan and its schedule: a few statements, no cursor kept open, nothing
# written. Each statement runs as a transaction of its own on a read-only connection (a write
# there is refused by PostgreSQL), saving the BEGIN and COMMIT round trips; under READ
# COMMITTED each statement had its own snapshot anyway. (Lists stream with server-side
# cursors, which need a transaction block.)
STATEMENT_READS = frozenset({"get_loan", "get_schedule"})

# Statement writes, submitting an application: the operation reads, then writes everything
# with one statement (the application, its evaluation, its audit event and its four-eyes
# request in one WITH … INSERT), which commits as it runs: atomic as every statement is, and
# two of the four round trips (BEGIN and COMMIT) saved, a fifth more submissions a second
# (bench.figures). What follows the write is building the answer. The connection refuses a
# second write in one request (`SecondWriteError`), so a later change cannot split what one
# statement keeps whole. With an Idempotency-Key, the answer is stored in the write's own
# transaction: the request is then served in the thread pool, as every other write.
STATEMENT_WRITES = frozenset({"submit_application"})


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions for `STATEMENT_READS`: autocommit, read-only connections of their own pool."""
    engine = make_engine(
        database_url(), read_only=True, autocommit=True, name="bangfu-reads", on_the_loop=True
    )
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@lru_cache
def get_write_sessionmaker() -> sessionmaker[Session]:
    """Sessions for `STATEMENT_WRITES`: autocommit connections of their own pool, allowing one
    writing statement each time one is taken from the pool."""
    engine = make_engine(database_url(), autocommit=True, name="bangfu-writes", on_the_loop=True)
    refuse_a_second_write(engine)
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class SecondWriteError(RuntimeError):
    """A statement write's connection was asked for a second writing statement."""


_WROTE = "bangfu_wrote"


def refuse_a_second_write(engine: Engine) -> None:
    """Between taking a connection from the pool and giving it back, one statement that is not a
    SELECT may run on it; a second raises `SecondWriteError` before it is sent."""

    @event.listens_for(engine, "checkout")
    def _taken(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info.pop(_WROTE, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _once(conn: Connection, _cursor: Any, statement: str, *_: Any, **__: Any) -> None:
        if statement.lstrip()[:6].upper() == "SELECT":
            return
        if conn.info.get(_WROTE):
            raise SecondWriteError("a statement write's connection wrote a second time")
        conn.info[_WROTE] = True


def wrote(session: Session) -> bool:
    """Whether a statement write's connection has written since it was taken from the pool
    (False for any other session: nothing counts its writes)."""
    return bool(session.connection().info.get(_WROTE))


def runs_on_the_loop(session: Session) -> bool:
    """Whether the session's connection is asyncio's (used only from `greenlet_spawn`)."""
    return bool(session.get_bind().dialect.is_async)


def reset_engine() -> None:
    """Forget the cached engine (tests and the CLI call this after changing settings)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    for made in (get_read_sessionmaker, get_write_sessionmaker):
        if made.cache_info().currsize:
            # their connections belong to a loop that may have ended: let them go unclosed
            made().kw["bind"].dispose(close=False)
        made.cache_clear()
    from app.core import replica  # the standby's engine and state go with the primary's

    standby = replica.replica_sessionmaker()
    if standby is not None:
        standby.kw["bind"].dispose()
    replica.replica_sessionmaker.cache_clear()
    if replica.standby.cache_info().currsize:
        replica.standby().stop()
    replica.standby.cache_clear()


def slot(name: str) -> BindParameter[Any]:
    """A named parameter of a `CompiledStatement`, given its value at execution."""
    return bindparam(name, required=False)


def jsonb(value: Any) -> Jsonb:
    """A JSONB value of a `CompiledStatement`, its text written by pydantic-core: a submission's
    four JSONB values written by json.dumps were 2% of its CPU (an in-process A/B,
    docs/benchmarks.md). PostgreSQL keeps JSONB parsed, so the value stored is the same."""
    return Jsonb(value, dumps=to_json)


class CompiledStatement:
    """A Core statement compiled once, at import, for psycopg; executed on the driver's cursor.

    For the hottest statements only: SQLAlchemy's per-call work (cache key, compilation
    lookup, bind and result processing, and for driver SQL the result's metadata built anew
    from the cursor's description) costs more CPU than PostgreSQL spends running them. The
    statement is still built from the mapped tables, so a renamed column fails at import; the
    values passed must be ones psycopg adapts itself (JSONB wrapped by `jsonb`).

    What SQLAlchemy would do around the execution is kept, through its own hooks: the
    connection's `before_cursor_execute` and `after_cursor_execute` listeners run (the second
    write's guard among them, `refuse_a_second_write`; they are given no execution context),
    and an error is SQLAlchemy's (`DBAPIError` and its kinds), the connection invalidated as
    SQLAlchemy invalidates it, by its own handler. Rows come back as named tuples (the
    statement's own, or one given): whole (`execute`), or as PostgreSQL sends them (`stream`),
    for a long result read while the server still makes it.
    """

    def __init__(self, statement: ClauseElement, row: type[Any] | None = None) -> None:
        dialect = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = str(compiled)
        # Values fixed in the statement (e.g. the members of an IN list).
        self.fixed = {k: v for k, v in compiled.params.items() if v is not None}
        # The rows' named tuple: given (its fields the statement's columns, in order), or made
        # from the first execution's columns.
        self._row: type[Any] | None = row

    def execute(self, session: Session, params: Mapping[str, Any]) -> Rows:
        return Rows(list(self._rows(session, params, 0)))

    def stream(self, session: Session, params: Mapping[str, Any], size: int) -> Iterator[Any]:
        """The rows as PostgreSQL sends them, `size` at a time (libpq's chunked rows): a long
        result is worked on while the server still makes the rest of it. Stopping early cancels
        the statement, and with it the transaction."""
        return self._rows(session, params, size)

    def _rows(self, session: Session, params: Mapping[str, Any], size: int) -> Iterator[Any]:
        """Fetched whole (`size` 0) or streamed. SQLAlchemy's listeners run before and after,
        and a driver's error is SQLAlchemy's."""
        connection = session.connection()
        sql, values = self.sql, {**self.fixed, **params}
        cursor = connection.connection.cursor()
        rows: Iterator[Any] = iter(())
        try:
            for before in connection.dispatch.before_cursor_execute:
                sql, values = before(connection, cursor, sql, values, None, False)
            if size:  # each row made by the driver as it loads it, no step of ours between
                driver: Any = cursor  # psycopg's own
                driver.row_factory = self._maker
                rows = driver.stream(sql, values, size=size)
                yield from rows
            else:  # the cursor may be SQLAlchemy's adapter of an async one: each call by itself
                cursor.execute(sql, values)
                found = cursor.fetchall()
                if found:
                    yield from map(self._maker(cursor), found)
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, values, None, False)
        except GeneratorExit:
            raise  # the reader stopped: the stream is cancelled as it closes, below
        except Exception as e:
            if not isinstance(e, connection.dialect.loaded_dbapi.Error):
                raise  # ours (a listener's refusal, say): as it is
            # the driver's: SQLAlchemy's error, the connection invalidated if it has gone
            connection._handle_dbapi_exception(e, sql, values, cursor, None)
        except BaseException as e:  # cancelled mid-statement: SQLAlchemy invalidates it
            connection._handle_dbapi_exception(e, sql, values, cursor, None)
        finally:
            if isinstance(rows, Generator):
                rows.close()
            cursor.close()

    def _maker(self, cursor: Any) -> Callable[[Sequence[Any]], Any]:
        """The rows' named tuple's maker, the tuple made from the cursor's columns unless given
        (a psycopg row factory)."""
        if self._row is None:
            self._row = namedtuple("Row", [c[0] for c in cursor.description])  # type: ignore[misc]
        return self._row._make  # type: ignore[no-any-return,union-attr]


class Rows:
    """A `CompiledStatement`'s rows."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise (NoResultFound if not self._rows else MultipleResultsFound)(
                f"{len(self._rows)} rows where one was expected"
            )
        return self._rows[0][0]
