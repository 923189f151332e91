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


BASE = "http://127.0.0.1:8766"


def _console_session(token: str) -> httpx.Client:
    """A browser's session: signed in with the token, the session's cookie kept."""
    desk = httpx.Client(base_url=BASE, timeout=600, headers={"Origin": BASE})
    answer = desk.post("/console/sign-in", data={"token": token})
    assert answer.status_code == 303 and "bangfu_console" in desk.cookies, answer.text
    return desk


def main() -> None:
    url = reuse_database("bangfu_bench_eod")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT region_code, count(*) FROM loans GROUP BY region_code ORDER BY 1 LIMIT 1"
        ).fetchone()
        assert row is not None, "run python -m bench.eod first"
        county, loans_there = row
        some_loan = conn.execute(
            "SELECT id, contract_number FROM loans WHERE region_code = %s LIMIT 1", (county,)
        ).fetchone()
        assert some_loan is not None
        number = some_loan[1]
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
        for who, token, pages in (
            (
                "a county's officer",
                officer_token,
                (
                    ("today's work", "/console/"),
                    ("a loan's page", f"/console/loans/{some_loan[0]}"),
                    ("a county's page", f"/console/counties/{county}"),
                    ("the county's loan list with its totals", "/console/loans"),
                    ("the inbox", "/console/inbox"),
                    ("collections", "/console/collections"),
                ),
            ),
            (
                "a national risk manager",
                issue_token("bench-risk", [Role.risk_manager, Role.auditor], ["*"]),
                (
                    ("the national loan list with its totals", "/console/loans"),
                    ("a contract number searched nationally", f"/console/loans?q={number}"),
                    ("a name searched nationally", "/console/loans?q=%E5%BC%A0"),
                    ("the inbox", "/console/inbox"),
                    ("finance and reports", "/console/finance?period=2026Q3"),
                ),
            ),
        ):
            desk = _console_session(token)
            for label, path in pages:
                seconds, _ = timed(lambda p=path, d=desk: d.get(p))
                rows.append((f"console, {who}: {label}", f"{seconds * 1000:,.0f} ms"))
            desk.close()
    for label, figure in rows:
        print(f"{label}: {figure}")
    print(f"median of {RUNS} after one warm call; {machine()}")
    server.should_exit = True


if __name__ == "__main__":
    main()
