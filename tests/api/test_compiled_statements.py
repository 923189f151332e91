"""`db.CompiledStatement` runs on the driver's cursor, yet keeps what SQLAlchemy does around an
execution: the connection's listeners (the second write's guard), SQLAlchemy's errors, and a
gone connection invalidated so that the pool renews it."""

from __future__ import annotations

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
