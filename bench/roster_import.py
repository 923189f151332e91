"""Import a generated roster of 1,000,000 people through the same service the API uses
(validation with python-stdnum, encryption, COPY into staging, one merge).

    .venv/bin/python -m bench.roster_import [--rows N]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from bench.common import ROOT, fresh_database, machine, peak_rss_mb

COUNTIES = [
    "520102",
    "520103",
    "520111",
    "520112",
    "520113",
    "520115",
    "520121",
    "520122",
    "520123",
    "520181",
    "520201",
    "520203",
    "520221",
    "520222",
    "520302",
    "520303",
]


def generate(rows: int, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    out = ["id_number,name,household_number,region_code,category,listed_date,removed_date"]
    base = date(1961, 1, 1)
    seen: set[str] = set()
    while len(seen) < rows:
        county = rng.choice(COUNTIES)
        birth = base + timedelta(days=rng.randrange(0, 365 * 45))
        body = f"{county}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number in seen:
            continue
        seen.add(number)
        household = f"{county}{len(seen) // 3:08d}"
        category = "monitoring_target" if rng.random() < 0.3 else "continued_support"
        removed = "2026-05-01" if rng.random() < 0.02 else ""
        out.append(
            f"{number},帮扶户{len(seen)},{household},{county},{category},2025-01-15,{removed}"
        )
    return ("\n".join(out) + "\n").encode()


def roster_file(rows: int) -> Path:
    """Generated once and kept under .data/bench/, so the figures measure the import alone."""
    path = ROOT / ".data" / "bench" / f"roster-{rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate(rows))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    fresh_database("bangfu_bench_roster")
    path = roster_file(args.rows)

    from app.core.auth import Principal, Role
    from app.core.db import get_sessionmaker
    from app.roster.service import import_roster

    body = path.read_bytes()
    admin = Principal("bench", frozenset({Role.admin}), ("*",))
    for label in ("first import", "same file again"):
        started = time.perf_counter()
        with get_sessionmaker()() as session:
            result = import_roster(session, admin, body, "csv")
            session.commit()
        seconds = time.perf_counter() - started
        print(
            f"roster import ({label}): {args.rows:,} rows in {seconds:.1f} s"
            f" = {args.rows / seconds:,.0f} rows/s; accepted {result.accepted:,},"
            f" removed {result.removed:,}, unchanged {result.unchanged:,},"
            f" rejected {result.rejected:,}"
        )
    print(f"  file {len(body) / 1e6:.0f} MB; peak RSS {peak_rss_mb():.0f} MB; {machine()}")


if __name__ == "__main__":
    main()
