"""The service-level tier (STYLE §6): tests that drive app/loans/lifecycle/ directly, each in
a transaction rolled back at the end, so that a loan's year is tested without a year of HTTP
calls and leaves nothing behind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from app.core.settings import sqlalchemy_url
from app.households.models import Household, Member


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    made = create_engine(sqlalchemy_url(os.environ["DATABASE_URL"]))  # the service role
    yield made
    made.dispose()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as conn, conn.begin() as tx:
        yield Session(bind=conn, join_transaction_mode="create_savepoint")
        tx.rollback()


@pytest.fixture()
def borrower(session: Session) -> Member:
    """A household with one member, as the rows a loan refers to (no roster, no rating: the
    lifecycle decides nothing about eligibility)."""
    member = Member(
        id=uuid.uuid4(),
        name="张三",
        relation="head",
        id_hash=uuid.uuid4().bytes * 2,
        id_encrypted=b"-",
        id_masked="510***********0011",
        birth_date=date(1980, 1, 1),
    )
    session.add(
        Household(
            id=uuid.uuid4(),
            region_code="519999",
            address="村",
            account_encrypted=b"-",
            account_masked="6222****0001",
            created_by="tester",
            members=[member],
        )
    )
    session.flush()
    return member
