"""Data sharing with finance and agriculture departments (3.4): a period's dataset by county,
as CSV files with a manifest and SHA-256 checksums. County aggregates only: no person appears."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core import clock, csvsafe
from app.domain.classification import RiskClass
from app.reports.periods import Period

_CLASSES = [c.value for c in RiskClass]

QUERIES = {
    # Report totals over every loan of a period (a named SQL path, STYLE §7): constants only,
    # the period bound as parameters.
    "loans_issued.csv": """
        SELECT region_code, policy_version, count(*) AS loans, sum(principal) AS amount
        FROM loans WHERE value_date BETWEEN :start AND :end
        GROUP BY region_code, policy_version ORDER BY region_code, policy_version""",
    "balances.csv": """
        SELECT region_code, active_loans, balance, overdue_balance, npl_balance,
               overdue_loans, npl_loans
        FROM region_daily_stats WHERE business_date = :end ORDER BY region_code""",
    "subsidies.csv": """
        SELECT region_code, sum(interest_accrued) AS interest,
               sum(central_subsidy_accrued) AS central_subsidy,
               sum(local_subsidy_accrued) AS local_subsidy,
               sum(penalty_accrued) AS penalty_never_subsidised
        FROM region_daily_stats WHERE business_date BETWEEN :start AND :end
        GROUP BY region_code ORDER BY region_code""",
    "risk_classes.csv": "SELECT region_code, "
    + ", ".join(f"{c}_loans, {c}_balance" for c in _CLASSES)
    + " FROM region_daily_stats WHERE business_date = :end ORDER BY region_code",
}


def export(
    session: Session,
    period: Period,
    out_dir: Path,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, object]]:
    """Write the files and the manifest; return the files' entries. `on_progress(files done,
    files)` after each file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, object]] = []
    for name, query in QUERIES.items():
        result = session.execute(text(query), {"start": period.start, "end": period.end})
        path = out_dir / name
        # with a byte-order mark, so Excel on Chinese Windows reads UTF-8
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(result.keys())
            rows = 0
            for row in result:
                writer.writerow([csvsafe.cell(value) for value in row])
                rows += 1
        files.append(
            {"name": name, "rows": rows, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        )
        if on_progress is not None:
            on_progress(len(files), len(QUERIES))
    manifest = {
        "dataset": "bangfu assistance microcredit, by county",
        "period": period.code,
        "period_start": str(period.start),
        "period_end": str(period.end),
        "generated_at": clock.now(UTC).isoformat(),
        "files": files,
        "personal_data": "none: county aggregates only",
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (out_dir / "SHA256SUMS").write_text(
        "".join(f"{f['sha256']}  {f['name']}\n" for f in files), encoding="utf-8"
    )
    return files
