"""`db.CompiledStatement` runs on the driver's cursor, yet keeps what SQLAlchemy does around an
execution: the connection's listeners (the second write's guard), SQLAlchemy's errors, and a
gone connection invalidated so that the pool renews it."""

from __future__ import annotations

from itertools import islice

import psycopg
import pytest
from sqlalchemy import Integer, cast, exc, select, text
from sqlalchemy.orm import Session

from app.core import db

NUMBER = db.CompiledStatement(select(cast(db.slot("x"), Integer).label("n"), text("'two' AS word")))
WRITE = db.CompiledStatement(text("INSERT INTO written VALUES (1) RETURNING x"))


def test_rows_come_back_named_and_whole(database_url: str) -> None:
    engine = db.make_engine(database_url, name="compiled")
    try:
        with Session(engine) as session:
            (row,) = NUMBER.execute(session, {"x": "41"}).all()
            assert (row.n, row.word, row[0]) == (41, "two", 41)
            assert NUMBER.execute(session, {"x": 1}).scalar_one() == 1
            with pytest.raises(exc.NoResultFound):
                db.Rows([]).scalar_one()
    finally:
        engine.dispose()


def test_a_driver_error_is_sqlalchemys(database_url: str) -> None:
    engine = db.make_engine(database_url, name="compiled")
    try:
        with Session(engine) as session, pytest.raises(exc.DataError) as raised:
            NUMBER.execute(session, {"x": "not a number"})
        assert isinstance(raised.value.orig, psycopg.errors.InvalidTextRepresentation)
        assert not raised.value.connection_invalidated
    finally:
        engine.dispose()


def test_a_gone_connection_is_invalidated_and_the_next_one_is_new(database_url: str) -> None:
    engine = db.make_engine(database_url, name="compiled-gone")
    try:
        with Session(engine) as session:
            NUMBER.execute(session, {"x": 1})
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(exc.OperationalError) as raised:
                NUMBER.execute(session, {"x": 2})
            assert raised.value.connection_invalidated
        with Session(engine) as session:  # the pool gives a new connection
            assert NUMBER.execute(session, {"x": 3}).scalar_one() == 3
            other = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            assert other != pid
    finally:
        engine.dispose()


def test_the_second_writes_guard_sees_a_compiled_statement(database_url: str) -> None:
    engine = db.make_engine(database_url, autocommit=True, name="compiled-guard")
    db.refuse_a_second_write(engine)
    try:
        with Session(engine) as session:
            session.connection().exec_driver_sql("CREATE TEMPORARY TABLE written (x int)")
            with pytest.raises(db.SecondWriteError):  # as it is, not wrapped by SQLAlchemy
                WRITE.execute(session, {})
            assert db.wrote(session)
        with Session(engine) as session:  # taken from the pool again: one write allowed
            assert WRITE.execute(session, {}).scalar_one() == 1
            with pytest.raises(db.SecondWriteError):
                WRITE.execute(session, {})
            count = session.connection().exec_driver_sql("SELECT count(*) FROM written")
            assert count.scalar_one() == 1
    finally:
        engine.dispose()


SERIES = db.CompiledStatement(
    text("SELECT n, 1.0 / (n - :zero_at) AS inverse FROM generate_series(1, :last) AS n")
)


def test_streamed_rows_are_the_executed_rows_as_they_come(database_url: str) -> None:
    """A stream gives what `execute` gives, named, a chunk of rows at a time (libpq's chunked
    rows): the first rows are read while the rest are still in the server's hands."""
    engine = db.make_engine(database_url, name="compiled-stream")
    try:
        with Session(engine) as session:
            params = {"zero_at": 0, "last": 2_500}
            whole = SERIES.execute(session, params).all()
            stream = SERIES.stream(session, params, 1_000)
            first = next(stream)
            assert (first.n, first.inverse) == (1, 1)
            assert [first, *stream] == whole
            assert len(whole) == 2_500
    finally:
        engine.dispose()


def test_a_stream_left_early_is_cancelled_and_an_error_midway_is_sqlalchemys(
    database_url: str,
) -> None:
    """A reader that stops (a sheet full, say) cancels the statement: the transaction is then
    failed and rolls back, the connection fit for the next. An error after rows have come
    (a division by zero at row 1,500) is SQLAlchemy's, raised where it is met."""
    engine = db.make_engine(database_url, name="compiled-stream-stop")
    try:
        with Session(engine) as session:
            stream = SERIES.stream(session, {"zero_at": 0, "last": 10_000_000}, 1_000)
            assert [row.n for row in islice(stream, 3)] == [1, 2, 3]
            stream.close()
            with pytest.raises(exc.DBAPIError):  # the cancelled statement failed the transaction
                session.connection().exec_driver_sql("SELECT 1")
            session.rollback()
            assert NUMBER.execute(session, {"x": 5}).scalar_one() == 5
            read = []
            with pytest.raises(exc.DataError) as raised:
                for row in SERIES.stream(session, {"zero_at": 1_500, "last": 2_000}, 100):
                    read.append(row.n)
            assert isinstance(raised.value.orig, psycopg.errors.DivisionByZero)
            assert read[:1] == [1] and len(read) < 1_500
    finally:
        engine.dispose()
