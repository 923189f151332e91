"""Finding and exporting at a province's scale (issues 18 and 19), over the 1,000,000 loans that
`bench.eod` seeded (100 counties) and the quarter `bench.reports` closed: list pages with their
total and sorts, a county's loans as a workbook, the finance form for a county, and the
console's pages, each the median of a few calls over HTTP against the real app.

    .venv/bin/python -m bench.lists   # after python -m bench.eod and python -m bench.reports
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx
import psycopg

from bench.common import machine, reuse_database
from bench.reports import QUARTER, _serve

RUNS = 5


def timed(call: Callable[[], httpx.Response], runs: int = RUNS) -> tuple[float, httpx.Response]:
    seconds = []
    answer = call()  # warm: plans and caches, as a working service has them
    answer.raise_for_status()
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
    return statistics.median(seconds), answer


def main() -> None:
    url = reuse_database("bangfu_bench_eod")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT region_code, count(*) FROM loans GROUP BY region_code ORDER BY 1 LIMIT 1"
        ).fetchone()
        assert row is not None, "run python -m bench.eod first"
        county, loans_there = row
        some_loan = conn.execute(
            "SELECT id FROM loans WHERE region_code = %s LIMIT 1", (county,)
        ).fetchone()
        assert some_loan is not None
    server = _serve(url, 8766)
    from app.core.auth import Role, issue_token

    def bearer(*roles: Role, regions: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token('bench', roles, regions)}"}

    national = bearer(Role.admin, Role.auditor, regions=["*"])
    officer_token = issue_token(f"officer-{county}", [Role.loan_officer], [county])
    rows: list[tuple[str, str]] = []
    with httpx.Client(base_url="http://127.0.0.1:8766", timeout=600) as client:
        cases: list[tuple[str, str, dict[str, object], dict[str, str]]] = [
            ("loan list, a page of 50 with the national total", "/v1/loans", {"limit": 50}, {}),
            (
                "loan list, the largest balances first, national",
                "/v1/loans",
                {"limit": 50, "sort": "-principal_outstanding"},
                {},
            ),
            (
                f"loan list of county {county}, most days past due first",
                "/v1/loans",
                {"limit": 50, "region": county, "sort": "-days_past_due"},
                {},
            ),
            (
                f"county {county}'s {loans_there:,} loans as a workbook",
                "/v1/loans",
                {"region": county, "format": "xlsx"},
                {},
            ),
            (
                f"county {county}'s loans as CSV",
                "/v1/loans",
                {"region": county, "format": "csv"},
                {},
            ),
            (
                f"the finance form ({QUARTER}) of county {county} as a workbook",
                "/v1/reports/subsidy-claims",
                {"period": QUARTER, "region": county, "format": "xlsx"},
                {},
            ),
            (
                "portfolio quality, 100 counties, as a workbook",
                "/v1/reports/portfolio-quality",
                {"as_of": "2026-09-30", "bank_npl_ratio": "0.0125", "format": "xlsx"},
                {},
            ),
            ("the reviewers' queue, national", "/v1/chain-requests", {}, {}),
        ]
        for label, path, params, extra in cases:
            seconds, answer = timed(
                lambda p=path, q=params, h=extra: client.get(p, params=q, headers={**national, **h})
            )
            size = len(answer.content)
            rows.append((label, f"{seconds * 1000:,.0f} ms, {size / 1e6:.2f} MB"))
        console = {"Cookie": f"bangfu_console={officer_token}"}
        for label, path in (
            ("console: today's work of a county's officer", "/console/"),
            ("console: a loan's page", f"/console/loans/{some_loan[0]}"),
            ("console: a county's page", f"/console/counties/{county}"),
        ):
            seconds, _ = timed(lambda p=path: client.get(p, headers=console))
            rows.append((label, f"{seconds * 1000:,.0f} ms"))
    for label, figure in rows:
        print(f"{label}: {figure}")
    print(f"median of {RUNS} after one warm call; {machine()}")
    server.should_exit = True


if __name__ == "__main__":
    main()
