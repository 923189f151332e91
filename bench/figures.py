"""Issue 29's figures in one run, each with its ratio against a base measured in the same run:

1. submissions with eligibility, closed loop, against pgbench TPC-B on the same server, the two
   in turn `--rounds` times (each pair's ratio, and their median); the same submissions in open
   loop at half the median closed-loop rate (p99); a loan and its schedule;
2. end of day over N seeded loans (5% overdue, their collection cases open) against a bare
   UPDATE of every loan, with a statement-level profile (EXPLAIN (ANALYZE, BUFFERS)) of one
   county-day;
3. right after that batch, before any vacuum: the list of loans with the national total, the
   national list by largest balance, and one county's finance form as a workbook;
4. end of day with every loan overdue and in collections, against a bare UPDATE.

    .venv/bin/python -m bench.figures [--loans 200000] [--regions 20] [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import psycopg
from sqlalchemy import text

from bench import driver
from bench.common import ROOT, fresh_database, machine
from bench.eod import BUSINESS_DATE
from bench.load import (
    PORT,
    pgbench_database,
    pgbench_latencies_ms,
    pgbench_run,
    requests,
    start_api,
)
from bench.seed import seed_loans

NAME = "bangfu_bench_figures"
# A county's business date behind the calendar moves to this (the quarter `bench.reports`
# synthesises ends the day before).
AFTER_QUARTER = date(2026, 10, 1)
EVERY_LOAN_OVERDUE = """
UPDATE loans SET overdue_principal = principal_outstanding,
                 oldest_overdue_due = DATE '2026-10-01' - 200
WHERE status = 'active'
"""


def _load(seconds: float, concurrency: int, server_url: str, rounds: int) -> list[tuple[str, str]]:
    """Closed loop and pgbench on the same server, in turn, `rounds` times (the machine's speed
    moves between runs: each ratio is its own pair's, the median is the figure); the open loop
    at half the median closed-loop rate; reads."""
    pgbench = pgbench_database(server_url)
    os.environ["DATABASE_URL"] = server_url  # the API's database on the same server
    url = fresh_database("bangfu_bench_load")
    api = start_api(url)
    try:
        submissions, reads = requests(households=16)

        def run(scenario: Any) -> driver.Result:
            _checkpoint(url)
            with driver.no_collector_pauses():
                return asyncio.run(scenario)

        def pgbench_after_checkpoint(measure: Callable[..., Any], *arguments: Any) -> Any:
            _checkpoint(url)
            return measure(pgbench, *arguments)

        pairs_of_rates: list[tuple[float, float]] = []
        closed: list[driver.Result] = []
        for _ in range(rounds):
            closed.append(
                run(
                    driver.run(
                        "127.0.0.1", PORT, seconds, concurrency, lambda n, i: [submissions[n % 16]]
                    )
                )
            )
            pairs_of_rates.append(
                (closed[-1].rps, pgbench_after_checkpoint(pgbench_run, int(seconds)))
            )
        half = statistics.median(rps for rps, _ in pairs_of_rates) / 2
        opened = run(
            driver.run_at_rate(
                "127.0.0.1", PORT, seconds, half, 64, lambda n, i: submissions[i % 16]
            )
        )
        base = pgbench_after_checkpoint(pgbench_latencies_ms, int(seconds), half)
        pairs = run(driver.run("127.0.0.1", PORT, seconds, concurrency, lambda n, i: reads))
    finally:
        api.terminate()
        api.wait(timeout=30)
    ratios = [rps / tps for rps, tps in pairs_of_rates]
    return [
        (
            f"submit with eligibility, closed loop, {concurrency} connections / pgbench TPC-B"
            f" 8 clients, {rounds} rounds in turn",
            "; ".join(f"{r:,.0f} req/s / {t:,.0f} tps = {r / t:.1%}" for r, t in pairs_of_rates)
            + f"; median {statistics.median(ratios):.1%}"
            + f" (p99 {max(c.quantile_ms(99) for c in closed):.1f} ms at most)",
        ),
        (
            f"the same, open loop at half the median closed-loop rate ({half:,.0f}/s)",
            f"p50 {opened.quantile_ms(50):.1f} ms, p99 {opened.quantile_ms(99):.1f} ms,"
            f" max {max(opened.latencies) * 1000:.0f} ms",
        ),
        (
            "  (pgbench TPC-B alone at that rate, same server, next: the machine's own stalls)",
            f"p50 {_quantile(base, 0.50):.1f} ms, p99 {_quantile(base, 0.99):.1f} ms,"
            f" max {base[-1]:.0f} ms",
        ),
        (
            "read a loan and its schedule, closed loop",
            # the driver counts a pair (both requests) as one step
            f"{pairs.rps:,.0f} pairs/s (p99 {pairs.quantile_ms(99):.1f} ms a pair)",
        ),
    ]


def _checkpoint(url: str) -> None:
    """Each measure starts from a checkpoint: the dirty pages the one before left (pgbench's
    writes, or the submissions') are written then rather than by the checkpointer during the
    next measure, which would charge it the one before's I/O. pgbench, for its part, vacuums
    its tables before each run."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _close_next_day(url: str, workers: int) -> tuple[date, int, float, float]:
    """The next day closed by `bangfu eod`: (the date, active loans, the batch's own seconds as
    it reports them, the process's seconds with Python's start-up)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT min(open_date) FROM region_business_dates),"
            " (SELECT count(*) FROM loans WHERE status = 'active')"
        ).fetchone()
    assert row is not None
    day, loans = row
    started = time.perf_counter()
    ran = subprocess.run(
        [sys.executable, "-m", "app.cli", "eod", "--date", str(day), "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        check=True,
        text=True,
    )
    process = time.perf_counter() - started
    reported = re.search(r"([\d.]+) s\b", ran.stdout)
    assert reported, ran.stdout
    return day, loans, float(reported.group(1)), process


def _bare_update(url: str) -> float:
    """The ratio's base: every loan rewritten once, after the same vacuum and checkpoint the
    batch had (each then writes every page it touches whole to the WAL once, as after any
    checkpoint, rather than whichever happened to follow one)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        conn.execute("UPDATE loans SET updated_at = updated_at")
        seconds = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE loans")
    return seconds


def _eod_figure(
    url: str,
    workers: int,
    label: str,
    rounds: int,
    right_after: Callable[[], list[tuple[str, str]]] | None = None,
) -> list[tuple[str, str]]:
    """The batch's next day against a bare UPDATE of every loan, in turn, `rounds` times (each
    day's pair its own ratio, the median the figure: the bare UPDATE alone moved between 2.2
    and 4.1 s within one run); `right_after` measured between the first pair's two (after the
    batch, before any vacuum)."""
    pairs: list[tuple[float, float]] = []
    then: list[tuple[str, str]] = []
    for turn in range(rounds):
        day, loans, seconds, process = _close_next_day_counting_hot(url, workers, label)
        if turn == 0 and right_after is not None:
            then = right_after()
        pairs.append((seconds, _bare_update(url)))
    ratios = [seconds / bare for seconds, bare in pairs]
    return [
        (
            f"{label}, {loans:,} loans, {workers} workers, from {day - timedelta(rounds - 1)},"
            f" {rounds} days in turn / bare UPDATE of every loan",
            "; ".join(
                f"{seconds:.2f} s / {bare:.2f} s = {seconds / bare:.2f}" for seconds, bare in pairs
            )
            + f"; median {statistics.median(ratios):.2f} (the last process with Python's"
            f" start-up {process:.1f} s)",
        ),
        *then,
    ]


def _close_next_day_counting_hot(
    url: str, workers: int, label: str
) -> tuple[date, int, float, float]:
    """`_close_next_day` after a vacuum and a checkpoint, printing how many of the loans' row
    updates were HOT."""
    updates = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'loans'"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        time.sleep(1)  # the statistics of earlier writes are flushed
        before = conn.execute(updates).fetchone()
    _checkpoint(url)
    closed = _close_next_day(url, workers)
    time.sleep(1)
    with psycopg.connect(url, autocommit=True) as conn:
        after = conn.execute(updates).fetchone()
    assert before is not None and after is not None
    written, hot = after[0] - before[0], after[1] - before[1]
    print(
        f"{label}, {closed[0]}: {written:,} loan rows written, {hot / max(written, 1):.0%} HOT",
        flush=True,
    )
    return closed


def _profile(url: str) -> str:
    """Each statement of one county-day, as EXPLAIN (ANALYZE, BUFFERS) sees it, rolled back."""
    try:
        from app.batch.day import profile_county_day
    except ImportError:  # a tree from before the batch's statements had a module of their own
        from app.batch.eod import profile_county_day  # type: ignore[attr-defined,no-redef]
    from app.core import db
    from app.core.settings import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.reset_engine()
    with db.get_sessionmaker()() as session:
        county = session.execute(text("SELECT min(region_code) FROM region_business_dates"))
        try:
            return profile_county_day(session, county.scalar_one())
        finally:
            session.rollback()


def _first_and_median(call: Callable[[], httpx.Response]) -> tuple[float, float]:
    """The first call (right after the batch, nothing warmed) and the median of five more."""
    started = time.perf_counter()
    call().raise_for_status()
    first = time.perf_counter() - started
    seconds = []
    for _ in range(5):
        started = time.perf_counter()
        call().raise_for_status()
        seconds.append(time.perf_counter() - started)
    return first, statistics.median(seconds)


def _national(url: str) -> httpx.Client:
    from app.core.auth import Role, issue_token

    token = issue_token("bench", [Role.admin, Role.auditor], ["*"])
    return httpx.Client(
        base_url=f"http://127.0.0.1:{PORT + 1}",
        timeout=600,
        headers={"Authorization": f"Bearer {token}"},
    )


def _reads_right_after(url: str) -> list[tuple[str, str]]:
    """The national reads the issue names, first right after the batch, then settled."""
    from bench.reports import _serve

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(business_date) FROM region_daily_stats").fetchone()
    assert row is not None
    server = _serve(url, PORT + 1)
    found = []
    try:
        with _national(url) as client:
            # the process warmed on other reads, as a serving one is; not on these
            for path, params in (
                ("/v1/loans", {"limit": 1, "region": "999999"}),
                ("/v1/loans", {"limit": 1, "region": "999999", "sort": "-principal_outstanding"}),
                ("/v1/reports/portfolio-quality", {"as_of": "2000-01-01", "region": "999999"}),
            ):
                client.get(path, params=params)
            for label, path, params in (
                ("a page of 50 loans with the national total", "/v1/loans", {"limit": 50}),
                (
                    "the national list by largest balance",
                    "/v1/loans",
                    {"limit": 50, "sort": "-principal_outstanding"},
                ),
                (
                    "national portfolio quality (totals by county and class)",
                    "/v1/reports/portfolio-quality",
                    {"as_of": row[0].isoformat(), "bank_npl_ratio": "0.0125"},
                ),
            ):
                first, median = _first_and_median(lambda p=path, q=params: client.get(p, params=q))
                found.append(
                    (
                        f"{label}, right after the batch / then",
                        f"{first * 1000:,.0f} ms / {median * 1000:,.0f} ms",
                    )
                )
    finally:
        server.should_exit = True
    return found


def _finance(url: str) -> list[tuple[str, str]]:
    """One county's finance form for the quarter `bench.reports` synthesises, median of 5."""
    from bench.lists import timed
    from bench.reports import QUARTER, _prepare, _serve

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT min(region_code) FROM loans").fetchone()
    assert row is not None
    county = row[0]
    _prepare(url)
    server = _serve(url, PORT + 1)
    found = []
    try:
        with _national(url) as client:
            for label, extra in (
                (f"county {county}'s finance form for {QUARTER} as a workbook, with its lines", {}),
                (
                    "the same form alone (lines=false: its county sums, no lines)",
                    {"lines": "false"},
                ),
            ):
                params = {"period": QUARTER, "region": county, "format": "xlsx", **extra}
                seconds, answer = timed(
                    lambda q=params: client.get("/v1/reports/subsidy-claims", params=q)
                )
                found.append(
                    (label, f"{seconds * 1000:,.0f} ms ({len(answer.content) / 1e6:.2f} MB)")
                )
    finally:
        server.should_exit = True
    return found


def _reads_after_next_day(server_url: str, workers: int) -> None:
    """The national reads right after a day's batch, on the database the last run left (no
    migration: a tree from before or after issue 29 reads the same rows)."""
    from app.core.embedded import with_database

    url = with_database(server_url, NAME)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")  # as autovacuum leaves it before the night
    day, loans, seconds, _ = _close_next_day(url, workers)
    figures = [(f"end of day {day}, {loans:,} loans", f"{seconds:.1f} s")]
    figures += _reads_right_after(url)
    width = max(len(label) for label, _ in figures)
    for label, figure in figures:
        print(f"{label:<{width}}  {figure}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=200_000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="closed loop and pgbench, the batch and a bare UPDATE, in turn",
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--reads-after-batch",
        action="store_true",
        help="on the last run's database (as it is): close its next day, read right after",
    )
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if args.reads_after_batch:
        _reads_after_next_day(server_url, args.workers)
        return
    figures: list[tuple[str, str]] = []
    if not args.skip_load:
        figures += _load(args.seconds, args.concurrency, server_url, args.rounds)
        for label, figure in figures:
            print(f"{label}: {figure}", flush=True)
    os.environ["DATABASE_URL"] = server_url
    url = fresh_database(NAME)
    started = time.perf_counter()
    seed_loans(url, args.loans, args.regions, BUSINESS_DATE)
    print(f"seeded {args.loans:,} loans in {time.perf_counter() - started:.0f} s", flush=True)
    _close_next_day(url, args.workers)  # the first day opens the overdue loans' cases
    figures += _eod_figure(
        url,
        args.workers,
        "end of day, 5% overdue",
        args.rounds,
        right_after=lambda: _reads_right_after(url),
    )
    print(_profile(url), flush=True)
    figures += _finance(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(EVERY_LOAN_OVERDUE)
    _close_next_day(url, args.workers)  # every loan's case opens
    figures += _eod_figure(
        url, args.workers, "end of day, every loan overdue and in cases", args.rounds
    )
    print()
    width = max(len(label) for label, _ in figures)
    for label, figure in figures:
        print(f"{label:<{width}}  {figure}")
    print(machine())


if __name__ == "__main__":
    main()
