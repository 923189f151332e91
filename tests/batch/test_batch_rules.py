"""The batch's SQL states the domain's rules: evaluated by PostgreSQL on the same inputs, it
gives what app/domain gives (a change to one without the other fails here)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.batch.day import (
    MISUSE_PENALTY_SQL,
    OBSERVING,
    PENALTY_SQL,
    SUBSIDY_ACCRUES,
    risk_class_sql,
)
from app.core.settings import sqlalchemy_url
from app.domain.accrual import daily_misuse_penalty, daily_penalty
from app.domain.classification import Restructuring, RiskClass, classify
from app.domain.subsidy import subsidy_accrues

DAY = date(2026, 9, 1)


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sqlalchemy_url(database_url))
    yield engine
    engine.dispose()


def test_clause_1_6_the_batch_subsidises_the_days_the_domain_does(engine: sa.Engine) -> None:
    query = sa.text(
        f"SELECT {SUBSIDY_ACCRUES} FROM (SELECT CAST(:dpd AS int) AS dpd,"
        " CAST(:forfeited_from AS date) AS subsidy_forfeited_from) x"
    )
    cases = itertools.product(
        (0, 1, 400), (False, True), (None, DAY - timedelta(days=1), DAY, DAY + timedelta(days=1))
    )
    with engine.connect() as conn:
        for dpd, overdue_days, forfeited_from in cases:
            found = conn.execute(
                query,
                {
                    "dpd": dpd,
                    "forfeited_from": forfeited_from,
                    "subsidise_overdue_days": overdue_days,
                    "d": DAY,
                },
            ).scalar_one()
            forfeited = forfeited_from is not None and forfeited_from <= DAY
            assert found is subsidy_accrues(dpd, overdue_days, forfeited), (dpd, forfeited_from)


def test_clause_3_1_the_batch_classifies_as_the_domain_does(engine: sa.Engine) -> None:
    query = sa.text(
        f"SELECT {risk_class_sql('dpd', 'ovr', 'restructure_floor', OBSERVING)} FROM (SELECT"
        " CAST(:dpd AS int) AS dpd, CAST(:ovr AS text) AS ovr,"
        " CAST(:floor AS text) AS restructure_floor,"
        " CAST(:restructured AS date) AS restructured_on,"
        " CAST(:end AS date) AS observation_end, CAST(:breached AS boolean) AS breached) x"
    )
    end = DAY + timedelta(days=30)
    cases = itertools.product(
        (0, 1, 90, 91, 270, 271, 360, 361),
        (None, RiskClass.doubtful),
        (None, RiskClass.normal, RiskClass.substandard),
        (end - timedelta(days=60), end, end + timedelta(days=1)),
        (False, True),
    )
    with engine.connect() as conn:
        for dpd, override, before, day, breached in cases:
            restructuring = (
                Restructuring(before, DAY, end, breached) if before is not None else None
            )
            found = conn.execute(
                query,
                {
                    "dpd": dpd,
                    "ovr": override.value if override else None,
                    "floor": restructuring.floor.value if restructuring else None,
                    "restructured": DAY if restructuring else None,
                    "end": end if restructuring else None,
                    "breached": breached,
                    "d": day,
                },
            ).scalar_one()
            expected = classify(dpd, day, override=override, restructuring=restructuring)
            assert found == expected.value, (dpd, override, before, day, breached)


@pytest.mark.parametrize(
    ("principal", "rate", "markup", "penalty", "misuse"),
    [
        # 1,000 × 3% × 1.5 / 360 = 0.125: a half fen, half-up → 0.13 (banker's would give 0.12)
        ("1000.00", "0.03", "0.5", "0.13", "0.04"),  # misuse: 1,000 × 3% × 0.5 / 360 = 0.0417
        # 1,500 × 3% × 1.0 / 360 = 0.125 → 0.13; overdue at 1.3: 0.1625 → 0.16
        ("1500.00", "0.03", "1.0", None, "0.13"),
        ("1500.00", "0.03", "0.3", "0.16", None),
        ("12000.00", "0.0435", "0.5", "2.18", "0.73"),  # 2.175 → 2.18; 0.725 → 0.73
        ("0.01", "0.0435", "0.5", "0.00", "0.00"),
    ],
)
def test_the_batch_charges_the_penalty_the_domain_computes(
    engine: sa.Engine,
    principal: str,
    rate: str,
    markup: str,
    penalty: str | None,
    misuse: str | None,
) -> None:
    """银发〔2003〕251号 penalty and misuse interest: SQL = domain = the hand figure."""
    query = sa.text(
        f"SELECT {PENALTY_SQL.format(p=':p', r=':r', m=':m')},"
        f" {MISUSE_PENALTY_SQL.format(p=':p', r=':r', m=':m')}"
    )
    p, r, m = Decimal(principal), Decimal(rate), Decimal(markup)
    with engine.connect() as conn:
        in_sql, misuse_in_sql = conn.execute(query, {"p": p, "r": r, "m": m}).one()
    if penalty is not None:
        assert in_sql == daily_penalty(p, r, m) == Decimal(penalty)
    if misuse is not None:
        assert misuse_in_sql == daily_misuse_penalty(p, r, m) == Decimal(misuse)


def test_the_batch_makes_overdue_what_the_domains_position_does(engine: sa.Engine) -> None:
    """Issue 27: at the close of an instalment's due date the batch adds its unpaid amounts to
    the overdue ones (and starts the overdue days if any is unpaid); the domain's `position`
    the next day says the same."""
    from app.batch.day import HAS_UNPAID_SQL, UNPAID_INTEREST_SQL, UNPAID_PRINCIPAL_SQL
    from app.domain.position import has_unpaid, position, unpaid_interest, unpaid_principal

    query = sa.text(
        f"SELECT {UNPAID_PRINCIPAL_SQL.format(i='x')}, {UNPAID_INTEREST_SQL.format(i='x')},"
        f" {HAS_UNPAID_SQL.format(i='x')} FROM (SELECT CAST(:pd AS numeric) AS principal_due,"
        " CAST(:pp AS numeric) AS principal_paid, CAST(:idue AS numeric) AS interest_due,"
        " CAST(:ip AS numeric) AS interest_paid) x"
    )
    amounts = (Decimal("0"), Decimal("0.01"), Decimal("833.33"))
    with engine.connect() as conn:
        for pd, pp, idue, ip in itertools.product(amounts, repeat=4):
            if pp > pd or ip > idue:
                continue
            row = _Row(1, DAY - timedelta(days=30), DAY, pd, pp, idue, ip)
            principal, interest, unpaid = conn.execute(
                query, {"pd": pd, "pp": pp, "idue": idue, "ip": ip}
            ).one()
            assert (principal, interest, unpaid) == (
                unpaid_principal(row),
                unpaid_interest(row),
                has_unpaid(row),
            )
            after = position([row], DAY + timedelta(days=1))  # the next day's open position
            assert (after.overdue_principal, after.overdue_interest) == (principal, interest)
            assert after.oldest_overdue_due == (DAY if unpaid else None)


class _Row:
    def __init__(
        self,
        number: int,
        period_start: date,
        due_date: date,
        principal_due: Decimal,
        principal_paid: Decimal,
        interest_due: Decimal,
        interest_paid: Decimal,
    ) -> None:
        self.number, self.period_start, self.due_date = number, period_start, due_date
        self.principal_due, self.principal_paid = principal_due, principal_paid
        self.interest_due, self.interest_paid = interest_due, interest_paid


def _written_by_the_batch() -> set[str]:
    """The loan columns the day's statement sets (read from its SQL, not restated)."""
    import re

    from app.batch.day import _close_day
    from app.domain.collections import DEFAULT_BUCKET_STARTS

    sql = _close_day(DEFAULT_BUCKET_STARTS).text
    update = sql[sql.index("UPDATE loans l") : sql.index("FROM amounts a")]
    return set(re.findall(r"^\s+(?:SET )?(\w+) = ", update, re.M))


def test_the_batch_writes_each_loan_row_once_and_no_index_covers_what_it_writes(
    engine: sa.Engine,
) -> None:
    """HOT updates (the new row version on the same page, no index entry written) need every
    column the batch changes to be outside every index on loans: an index on one of them would
    turn each loan's daily write into an index write per index."""
    from app.batch.day import BATCH_WRITES

    written = _written_by_the_batch()
    assert written == BATCH_WRITES
    assert {"interest_accrued", "days_past_due", "overdue_principal", "current_due_date"} <= written
    with engine.connect() as conn:
        indexed = set(
            conn.scalars(
                sa.text(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                    " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                    " WHERE i.indrelid = 'loans'::regclass"
                )
            )
        )
        expressions = conn.scalars(
            sa.text(
                "SELECT pg_get_expr(indexprs, indrelid) || ' ' ||"
                " coalesce(pg_get_expr(indpred, indrelid), '') FROM pg_index"
                " WHERE indrelid = 'loans'::regclass AND (indexprs IS NOT NULL"
                " OR indpred IS NOT NULL)"
            )
        ).all()
    assert indexed, "no index on loans found"
    assert not (written & indexed)
    for expression in expressions:
        assert not any(column in (expression or "") for column in written), expression
