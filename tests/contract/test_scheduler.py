"""`bangfu scheduler`: two schedulers racing over the same counties close each day once, in
order; the time of day decides whether today is due."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import httpx
import psycopg

from app.batch.scheduler import due_through
from app.core import clock
from app.core.clock import SHANGHAI
from tests.api.factories import Origination, Servicing, own_county

ROOT = Path(__file__).resolve().parents[2]


def test_today_is_due_once_the_local_time_has_passed() -> None:
    at = time(22, 0)
    today = date(2027, 3, 10)
    before = datetime(2027, 3, 10, 21, 59, tzinfo=SHANGHAI)
    after = datetime(2027, 3, 10, 22, 0, tzinfo=SHANGHAI)
    assert due_through(before, at, today) == today - timedelta(days=1)
    assert due_through(after, at, today) == today
    # a UTC clock reading is taken in China Standard Time
    assert due_through(after.astimezone(datetime.now().astimezone().tzinfo), at, today) == today


def test_two_schedulers_racing_close_each_day_once(client: httpx.Client, database_url: str) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    start = clock.today()
    loan = svc.active_loan(start)
    through = start + timedelta(days=10)
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "ALLOW_FUTURE_BUSINESS_DATES": "true",
        "EOD_MAX_DAYS_PER_RUN": "4",  # the catch-up goes in steps
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "scheduler",
        "--once",
        "--regions",
        svc.flow.region,
        "--through",
        through.isoformat(),
    ]
    racers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=120)[0] for r in racers]
    assert [r.returncode for r in racers] == [0, 0], outputs
    closed = [int(out.split("closed ")[1].split(" ")[0]) for out in outputs]
    assert sum(closed) == 11, outputs  # 11 days, each closed by one of them
    with psycopg.connect(database_url) as conn:
        (open_date,) = conn.execute(
            "SELECT open_date FROM region_business_dates WHERE region_code = %s",
            (svc.flow.region,),
        ).fetchone()
        days = conn.execute(
            "SELECT business_date FROM accruals WHERE loan_id = %s AND kind = 'daily'"
            " ORDER BY business_date",
            (loan["id"],),
        ).fetchall()
    assert open_date == through + timedelta(days=1)
    assert [d for (d,) in days] == [start + timedelta(days=i) for i in range(11)]


def test_the_batch_reports_progress_by_county(client: httpx.Client) -> None:
    from app.batch import eod
    from app.core.db import get_sessionmaker
    from app.core.progress import Progress

    prefix = own_county("50")[:4]  # no other test takes counties under "50"
    for county in ("01", "02"):
        Servicing(Origination(client, region=f"{prefix}{county}")).active_loan(clock.today())
    seen: list[tuple[int, int]] = []
    eod.run(
        get_sessionmaker(), clock.today(), [prefix], on_progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 2), (2, 2)]
    out = io.StringIO()
    bar = Progress("end of day", out)
    bar(1, 2)
    bar(2, 2)
    assert out.getvalue().splitlines()[0].startswith("end of day [" + "#" * 15 + "-" * 15 + "] 1/2")
    assert out.getvalue().splitlines()[1].startswith("end of day [" + "#" * 30 + "] 2/2")
