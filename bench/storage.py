"""Accrual storage over years, and whether reads stay flat (issue 16). Not a test: it prints.

100,000 loans are seeded in SQL and closed by the real end-of-day batch for three months (year
0: storage and reads measured once the daily rows kept have reached their steady size). Then
33 month-ends of history are written in SQL (the month-end totals the batch would have written;
synthesised, as a batch over three years would take hours here), the loans are moved forward
three years in their schedules, and the real batch closes the last three months (year 3:
measured again, in the same run). Accrual storage is what
the `accruals` and `loan_month_totals` tables (with their indexes, and every partition) hold.

    .venv/bin/python -m bench.storage [--loans N] [--regions R]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date

import httpx
import psycopg

from bench.common import fresh_database, machine
from bench.reports import _serve
from bench.seed import seed_loans

YEAR0 = date(2026, 7, 1)
YEAR3 = date(2029, 7, 1)
TABLES = ("accruals", "loan_month_totals")

HISTORY = """
INSERT INTO loan_month_totals (month_end, loan_id, region_code, interest, central_subsidy,
                               local_subsidy, penalty, principal_outstanding, risk_class)
SELECT (date_trunc('month', CAST(%(base)s AS date)) + make_interval(months => k + 1)
        - interval '1 day')::date,
       t.loan_id, t.region_code,
       t.interest + round(t.principal_outstanding * 0.0435 / 12, 2) * k,
       t.central_subsidy + round(t.principal_outstanding * 0.025 / 12, 2) * k,
       t.local_subsidy + round(t.principal_outstanding * 0.005 / 12, 2) * k,
       t.penalty, t.principal_outstanding, t.risk_class
FROM loan_month_totals t CROSS JOIN generate_series(1, %(months)s) k
WHERE t.month_end = CAST(%(base)s AS date)
"""

# The loans moved on to 2029-07-01 in the state they reached on 2026-10-01 (33 months later).
MOVE_FORWARD = [
    "UPDATE loans SET value_date = value_date + interval '33 months',"
    " maturity_date = maturity_date + interval '33 months', signed_on = signed_on"
    " + interval '33 months', current_due_date = current_due_date + interval '33 months',"
    " oldest_overdue_due = oldest_overdue_due + interval '33 months'",
    "UPDATE instalments SET period_start = period_start + interval '33 months',"
    " due_date = due_date + interval '33 months',"
    " accrual_start = accrual_start + interval '33 months'",
    "UPDATE region_business_dates SET open_date = %(year3)s",
]


def storage_bytes(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE accruals")
        return sum(
            int(
                conn.execute(  # type: ignore[index]
                    "SELECT COALESCE((SELECT sum(pg_total_relation_size(relid))"
                    " FROM pg_partition_tree(%s)), pg_total_relation_size(%s))",
                    (t, t),
                ).fetchone()[0]
            )
            for t in TABLES
        )


def close_through(day: date) -> float:
    """The real end-of-day batch, in this process, 2 counties at a time; then the vacuum that
    autovacuum makes within minutes of a month's end in production (here the next month's
    batch would otherwise start before it)."""
    from app.batch import eod
    from app.core.db import get_sessionmaker

    started = time.perf_counter()
    eod.run(get_sessionmaker(), day, workers=2)
    seconds = time.perf_counter() - started
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM accruals")
    return seconds


def reads(client: httpx.Client, loan_ids: list[str], month: str, as_of: date) -> dict[str, float]:
    started = time.perf_counter()
    for loan_id in loan_ids:
        client.get(f"/v1/loans/{loan_id}").raise_for_status()
        client.get(f"/v1/loans/{loan_id}/schedule").raise_for_status()
    loan_ms = (time.perf_counter() - started) / len(loan_ids) * 1000
    started = time.perf_counter()
    client.get(
        "/v1/reports/subsidy-claims", params={"period": month, "lines": "false"}
    ).raise_for_status()
    claim = time.perf_counter() - started
    started = time.perf_counter()
    client.get(
        "/v1/reports/portfolio-quality",
        params={"as_of": as_of.isoformat(), "bank_npl_ratio": "0.0125"},
    ).raise_for_status()
    quality = time.perf_counter() - started
    return {"loan_ms": loan_ms, "claim_s": claim, "quality_s": quality}


def bare_update_seconds(url: str) -> float:
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        conn.execute("UPDATE loans SET updated_at = now()")
        conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=20)
    args = parser.parse_args()
    os.environ["ALLOW_FUTURE_BUSINESS_DATES"] = "true"
    os.environ["LOG_LEVEL"] = "WARNING"
    url = fresh_database("bangfu_bench_storage")
    from app.core.logging import configure_logging

    configure_logging("WARNING", False)
    started = time.perf_counter()
    seed_loans(url, args.loans, args.regions, YEAR0)
    print(f"seeded {args.loans:,} loans in {time.perf_counter() - started:.0f} s", flush=True)

    # three months, so that the daily rows kept (ACCRUAL_DAILY_RETENTION_MONTHS) have reached
    # their steady size before year 0 is measured
    month0 = [close_through(d) for d in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30))]
    s0 = storage_bytes(url)
    with psycopg.connect(url) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM loans")]
    sample = random.Random(7).sample(ids, 200)
    server = _serve(url, 8766)
    from app.core.auth import Role, issue_token

    admin = {
        "Authorization": f"Bearer {issue_token('bench', [Role.admin, Role.risk_manager], ['*'])}"
    }
    client = httpx.Client(base_url="http://127.0.0.1:8766", timeout=600, headers=admin)
    r0 = reads(client, sample, "2026-09", date(2026, 9, 30))
    print(f"year 0: months closed in {[round(m) for m in month0]} s; {s0 / 1e6:.1f} MB", flush=True)

    with psycopg.connect(url) as conn:
        conn.execute(HISTORY, {"base": date(2026, 9, 30), "months": 33})
        for statement in MOVE_FORWARD:
            conn.execute(statement, {"year3": YEAR3})
        conn.execute(
            "INSERT INTO region_daily_stats SELECT region_code, d::date, active_loans,"
            " overdue_loans, npl_loans, balance, overdue_balance, npl_balance, interest_accrued,"
            " central_subsidy_accrued, local_subsidy_accrued, penalty_accrued, normal_balance,"
            " special_mention_balance, substandard_balance, doubtful_balance, loss_balance,"
            " normal_loans, special_mention_loans, substandard_loans, doubtful_loans, loss_loans"
            " FROM region_daily_stats, generate_series(DATE '2026-10-31', DATE '2029-06-30',"
            " interval '1 month') d WHERE business_date = DATE '2026-09-30'"
        )
        conn.commit()
    days = {}
    for month_end in (date(2029, 7, 31), date(2029, 8, 31), date(2029, 9, 30)):
        days[month_end] = close_through(month_end)
    s3 = storage_bytes(url)
    r3 = reads(client, sample, "2029-09", date(2029, 9, 30))
    print(f"year 3: months closed in {[round(d) for d in days.values()]} s; {s3 / 1e6:.1f} MB")

    # one more day, against a bare UPDATE of every loan in the same run
    one_day = close_through(date(2029, 10, 1))
    bare = bare_update_seconds(url)
    client.close()
    server.should_exit = True

    per_loan_year = (s3 - s0) / (args.loans * 3)
    print(
        f"accrual storage: year 0 {s0 / args.loans:,.0f} bytes per loan (the daily rows kept),"
        f" year 3 {s3 / args.loans:,.0f}; growth {per_loan_year:,.0f} bytes per loan-year"
        " (goal ≤ 2,000; a row per loan per day kept for ever was 161 × 365 = 58,765)"
    )
    for name, unit in (("loan_ms", "ms"), ("claim_s", "s"), ("quality_s", "s")):
        print(
            f"{name}: year 0 {r0[name]:.3f} {unit}, year 3 {r3[name]:.3f} {unit},"
            f" ratio {r3[name] / r0[name]:.2f} (goal ≤ 1.2)"
        )
    print(
        f"end of day at year 3: {one_day:.1f} s; bare UPDATE {bare:.1f} s;"
        f" ratio {one_day / bare:.2f}"
    )
    print(machine())


if __name__ == "__main__":
    main()
