"""A province's morning of texts to borrowers (issue 30): loans seeded in SQL (bench/seed.py),
each household's member given a phone (one ciphertext for all: the cost is the same), then the
scheduled work `messages` for every county on its business date, as the scheduler runs it.
Then a second pass, which finds every county's day done and writes nothing.

    .venv/bin/python -m bench.messages [--loans N] [--regions R]
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import psycopg

from bench.common import fresh_database, machine
from bench.seed import seed_loans

BUSINESS_DATE = date(2026, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=10)
    args = parser.parse_args()
    url = fresh_database("bangfu_bench_messages")
    seed_loans(url, args.loans, args.regions, BUSINESS_DATE)

    from app.core.crypto import PHONE, get_cipher
    from app.core.db import get_sessionmaker
    from app.core.settings import get_settings
    from app.messages import service

    phone = get_cipher().encrypt("13812345678", PHONE)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE members SET phone_encrypted = %s, phone_masked = '138****5678'", (phone,)
        )
        conn.execute("VACUUM ANALYZE members")
    settings = get_settings()
    settings.sms_gateway_url = "http://127.0.0.1:8200"
    settings.sms_quiet_start = settings.sms_quiet_end  # the morning's texts due at once

    started = time.perf_counter()
    written = service.produce_due(get_sessionmaker(), BUSINESS_DATE, None)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = service.produce_due(get_sessionmaker(), BUSINESS_DATE, None)
    second = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        kinds = conn.execute(
            "SELECT kind, count(*) FROM messages GROUP BY kind ORDER BY kind"
        ).fetchall()
        queued = conn.execute("SELECT count(*) FROM outbox WHERE kind = 'sms'").fetchone()
    print(machine())
    print(
        f"{args.loans:,} loans in {args.regions} counties: {written:,} texts written in"
        f" {first:.1f} s ({written / first:,.0f} a second), {queued[0] if queued else 0:,}"
        f" queued in the outbox; by kind {dict(kinds)}; a second pass wrote {again} in"
        f" {second:.2f} s"
    )


if __name__ == "__main__":
    main()
