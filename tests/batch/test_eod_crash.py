"""The end-of-day batch killed halfway (SIGKILL) and run again gives exactly the result of an
uninterrupted run; re-running a closed date changes nothing. Loans are seeded in SQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

from app.core.embedded import with_database
from app.core.migrations import upgrade
from app.domain.policy import RepaymentMethod
from app.domain.schedule import build
from bench.seed import seed_loans

ROOT = Path(__file__).resolve().parents[2]
D0 = date(2026, 6, 30)
THROUGH = D0 + timedelta(days=3)
REGIONS = 24

# Every table the batch writes, without columns that hold wall-clock times or sequence ids.
WRITTEN = {
    "accruals": "business_date, loan_id, kind, region_code, interest, central_subsidy,"
    " local_subsidy, borrower_interest, penalty",
    "loans": "id, status, principal_outstanding, current_instalment, current_due_date,"
    " overdue_principal, overdue_interest, oldest_overdue_due, penalty_outstanding,"
    " interest_accrued, central_accrued, local_accrued, penalty_accrued,"
    " days_past_due, risk_class",
    "instalments": "loan_id, number, principal_due, interest_due, principal_paid, interest_paid",
    "risk_class_changes": "loan_id, business_date, from_class, to_class, days_past_due",
    "region_daily_stats": "*",
    "region_business_dates": "region_code, open_date",
    "loan_month_totals": "*",
}


def fingerprint(url: str) -> dict[str, str]:
    out = {}
    with psycopg.connect(url) as conn:
        for table, columns in WRITTEN.items():
            query = sql.SQL(
                "SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), ''))"
                " FROM (SELECT {} FROM {}) t"
            ).format(sql.SQL(columns), sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            out[table] = row[0]
    return out


def eod(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "eod", "--date", THROUGH.isoformat()], cwd=ROOT, env=env
    )


def closed_region_days(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT COALESCE(sum(open_date - %s), 0) FROM region_business_dates", (D0,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_killed_batch_resumes_to_the_clean_result(server_url: str, scratch_database) -> None:
    clean = scratch_database("eod_clean")
    upgrade(clean)
    seed_loans(clean, 12_000, REGIONS, D0)
    crashed_name = clean.rsplit("/", 1)[1].split("?")[0].replace("_eod_clean", "_eod_crashed")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(crashed_name))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(crashed_name), sql.Identifier(clean.rsplit("/", 1)[1].split("?")[0])
            )
        )
    crashed = with_database(server_url, crashed_name)
    assert fingerprint(clean) == fingerprint(crashed)

    assert eod(clean).wait(timeout=300) == 0
    expected = fingerprint(clean)

    process = eod(crashed)
    deadline = time.monotonic() + 120
    while closed_region_days(crashed) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    halfway = closed_region_days(crashed)
    total = REGIONS * (THROUGH - D0).days + REGIONS
    assert 10 <= halfway < total, "the batch was not caught halfway"
    assert fingerprint(crashed) != expected

    assert eod(crashed).wait(timeout=300) == 0
    assert closed_region_days(crashed) == total
    assert fingerprint(crashed) == expected

    assert eod(crashed).wait(timeout=300) == 0  # closed dates again: nothing changes
    assert fingerprint(crashed) == expected


def test_seeded_schedules_follow_the_domain(scratch_database) -> None:
    url = scratch_database("seed_check")
    upgrade(url)
    seed_loans(url, 200, 4, D0)
    with psycopg.connect(url) as conn:
        loans = conn.execute(
            "SELECT id, principal, annual_rate, repayment_method, value_date FROM loans"
        ).fetchall()
        for loan_id, principal, rate, method, value_date in loans:
            rows = conn.execute(
                "SELECT due_date, principal_due, interest_due FROM instalments"
                " WHERE loan_id = %s ORDER BY number",
                (loan_id,),
            ).fetchall()
            expected = build(
                Decimal(principal), Decimal(rate), 12, RepaymentMethod(method), value_date
            ).instalments
            assert rows == [(i.due_date, i.principal, i.interest) for i in expected]
