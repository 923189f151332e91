"""The quarterly subsidy claim and the portfolio-quality report over the 1,000,000 loans that
`bench.eod` seeded, timed over HTTP against the real app.

Closing a whole quarter day by day would take an hour here, so the quarter's month-end loan
totals and its last day's regional figures are synthesised in SQL from those of the last real
end of day (the reports read only those tables). This moves the bench database's calendar to
the next quarter: run `python -m bench.eod` (without --reuse) to start again.

    .venv/bin/python -m bench.reports   # after python -m bench.eod
"""

from __future__ import annotations

import os
import threading
import time

import httpx
import psycopg
import uvicorn

from bench.common import machine, reuse_database

QUARTER, MONTH_ENDS = "2026Q3", ("2026-07-31", "2026-08-31", "2026-09-30")

SYNTHESISE = """
INSERT INTO loan_month_totals (month_end, loan_id, region_code, interest, central_subsidy,
                               local_subsidy, penalty, principal_outstanding, risk_class)
SELECT CAST(%(month_end)s AS date), loan_id, region_code,
       interest + round(principal_outstanding * 0.0435 / 12, 2) * %(k)s,
       central_subsidy + round(principal_outstanding * 0.025 / 12, 2) * %(k)s,
       local_subsidy + round(principal_outstanding * 0.005 / 12, 2) * %(k)s,
       penalty, principal_outstanding, risk_class
FROM loan_month_totals WHERE month_end = DATE '2026-06-30'
ON CONFLICT DO NOTHING;
"""


BASE = """
INSERT INTO loan_month_totals (month_end, loan_id, region_code, interest, central_subsidy,
                               local_subsidy, penalty, principal_outstanding, risk_class)
SELECT DATE '2026-06-30', id, region_code, interest_accrued, central_accrued, local_accrued,
       penalty_accrued, principal_outstanding, risk_class
FROM loans WHERE status = 'active'
ON CONFLICT DO NOTHING;
"""


def _prepare(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(BASE)
        for k, month_end in enumerate(MONTH_ENDS, start=1):
            conn.execute(SYNTHESISE, {"month_end": month_end, "k": k})
        latest = conn.execute("SELECT max(business_date) FROM region_daily_stats").fetchone()
        assert latest is not None
        conn.execute(
            "INSERT INTO region_daily_stats SELECT region_code, DATE '2026-09-30',"
            " active_loans, overdue_loans, npl_loans, balance, overdue_balance,"
            " npl_balance, interest_accrued, central_subsidy_accrued,"
            " local_subsidy_accrued, penalty_accrued, normal_balance,"
            " special_mention_balance, substandard_balance, doubtful_balance,"
            " loss_balance, normal_loans, special_mention_loans, substandard_loans,"
            " doubtful_loans, loss_loans FROM region_daily_stats"
            " WHERE business_date = %s ON CONFLICT DO NOTHING",
            (latest[0],),
        )
        conn.execute("UPDATE region_business_dates SET open_date = DATE '2026-10-01'")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE loan_month_totals")


def _serve(url: str, port: int) -> uvicorn.Server:
    os.environ["DATABASE_URL"] = url
    os.environ["LOG_LEVEL"] = "WARNING"
    from app.core import db
    from app.core.settings import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    from app.main import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def main() -> None:
    url = reuse_database("bangfu_bench_eod")
    started = time.perf_counter()
    _prepare(url)
    print(
        f"synthesised {QUARTER}'s month ends in {time.perf_counter() - started:.0f} s", flush=True
    )
    server = _serve(url, 8765)
    from app.core.auth import Role, issue_token

    admin = {"Authorization": f"Bearer {issue_token('bench', [Role.admin], ['*'])}"}
    with httpx.Client(base_url="http://127.0.0.1:8765", timeout=600, headers=admin) as client:
        for label, path, params, accept in (
            (
                f"subsidy claim {QUARTER}, JSON totals per county",
                "/v1/reports/subsidy-claims",
                {"period": QUARTER, "lines": "false"},
                "application/json",
            ),
            (
                f"subsidy claim {QUARTER}, CSV with every loan's line",
                "/v1/reports/subsidy-claims",
                {"period": QUARTER},
                "text/csv",
            ),
            (
                "portfolio quality as of 2026-09-30",
                "/v1/reports/portfolio-quality",
                {"as_of": "2026-09-30", "bank_npl_ratio": "0.0125"},
                "application/json",
            ),
        ):
            started = time.perf_counter()
            answer = client.get(path, params=params, headers={"Accept": accept})
            seconds = time.perf_counter() - started
            answer.raise_for_status()
            lines = answer.text.count("\n") if accept == "text/csv" else None
            print(
                f"{label}: {seconds:.2f} s, {len(answer.content) / 1e6:.1f} MB"
                + (f", {lines - 1:,} lines" if lines else "")
            )
    print(machine())
    server.should_exit = True


if __name__ == "__main__":
    main()
