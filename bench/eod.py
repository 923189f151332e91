"""End-of-day batch over 1,000,000 active loans seeded in SQL; in the same run, one bare UPDATE
touching every loan, as the ratio's base.

    .venv/bin/python -m bench.eod [--loans N] [--regions R] [--workers W] [--reuse]

--reuse keeps the previous run's database and closes its next date, without the ~7-minute
reseed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date

import psycopg

from bench.common import ROOT, fresh_database, machine, reuse_database
from bench.seed import seed_loans

BUSINESS_DATE = date(2026, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--regions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="regions closed at a time")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last run's database and close its next date"
    )
    args = parser.parse_args()
    if args.reuse:
        url = reuse_database("bangfu_bench_eod")
    else:
        url = fresh_database("bangfu_bench_eod")
        started = time.perf_counter()
        seed_loans(url, args.loans, args.regions, BUSINESS_DATE)
        print(
            f"seeded {args.loans:,} loans with 12 instalments each in"
            f" {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        row = conn.execute(
            "SELECT (SELECT min(open_date) FROM region_business_dates),"
            " (SELECT count(*) FROM loans WHERE status = 'active')"
        ).fetchone()
    assert row is not None and row[0] is not None, "no seeded loans: run without --reuse"
    day, loans = row

    started = time.perf_counter()
    batch = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "eod",
            "--date",
            day.isoformat(),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=True,
    )
    eod_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        started = time.perf_counter()
        conn.execute("UPDATE loans SET updated_at = updated_at")
        bare_seconds = time.perf_counter() - started
        accrued = conn.execute(
            "SELECT count(*), sum(interest), sum(central_subsidy),"
            " sum(penalty) FROM accruals WHERE business_date = %s",
            (day,),
        ).fetchone()
    assert accrued is not None
    print(batch.stdout.strip())
    print(
        f"end of day {day}: {loans:,} loans in {eod_seconds:.1f} s"
        f" = {loans / eod_seconds:,.0f} loans/s with {args.workers} workers;"
        f" peak RSS of the batch process {peak_mb:.0f} MB"
    )
    print(
        f"bare UPDATE of every loan: {bare_seconds:.1f} s; ratio {eod_seconds / bare_seconds:.2f}"
    )
    print(
        f"that day's accruals: {accrued[0]:,} rows, interest {accrued[1]}, central subsidy"
        f" {accrued[2]}, penalty {accrued[3]}; {machine()}"
    )


if __name__ == "__main__":
    main()
