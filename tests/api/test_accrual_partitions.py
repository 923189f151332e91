"""Daily accrual rows live in monthly partitions (migration 0014): the batch creates a month
before writing into it, and a month no county keeps is dropped whole. The service role does
this through one function and cannot otherwise change the schema."""

from __future__ import annotations

import uuid
from datetime import date

import psycopg
import pytest

from app.core.dbroles import with_role
from app.core.migrations import migrate
from tests.conftest import SERVICE_ROLE

INSERT = "INSERT INTO accruals VALUES (%s, %s, %s, '520102', 1.00, 0.50, 0.25, 0.25, 0)"


def months(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'accruals_daily'::regclass ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def test_months_are_made_and_dropped_whole_by_the_batch_s_function(scratch_database) -> None:
    owner = scratch_database("partitions")
    service = with_role(owner, SERVICE_ROLE)
    migrate(owner, service)
    with psycopg.connect(service, autocommit=True) as conn:
        # no month yet: a daily row has nowhere to go, and says so (never a silent default)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(INSERT, (date(2027, 1, 5), uuid.uuid4(), "daily"))
        made = conn.execute(
            "SELECT bangfu_accrual_months(%s, %s, %s)",
            (date(2027, 1, 5), date(2027, 4, 30), date(1, 1, 1)),
        ).fetchone()
        assert made == (4,)
        assert months(conn) == [f"accruals_daily_2027{m:02d}" for m in (1, 2, 3, 4)]
        for day in (date(2027, 1, 5), date(2027, 2, 5), date(2027, 3, 5)):
            conn.execute(INSERT, (day, uuid.uuid4(), "daily"))
        conn.execute(INSERT, (date(2027, 1, 5), uuid.uuid4(), "payoff"))  # kept for ever

        conn.execute(
            "SELECT bangfu_accrual_months(%s, %s, %s)",
            (date(2027, 4, 1), date(2027, 4, 1), date(2027, 3, 1)),
        )
        assert months(conn) == ["accruals_daily_202703", "accruals_daily_202704"]
        kinds = conn.execute(
            "SELECT kind, business_date FROM accruals ORDER BY business_date"
        ).fetchall()
        assert kinds == [("payoff", date(2027, 1, 5)), ("daily", date(2027, 3, 5))]
        # the function is the only door: the service role makes no table of its own
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "CREATE TABLE accruals_daily_202801 PARTITION OF accruals_daily"
                " FOR VALUES FROM ('2028-01-01') TO ('2028-02-01')"
            )
