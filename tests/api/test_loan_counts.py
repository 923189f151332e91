"""A list narrowed only by region and status counts its loans from the counts kept by county and
status (app/loans/counts.py): the figure is the loans' own count at every moment, before the
batch folds the day's changes and after, for every caller's regions."""

from __future__ import annotations

from datetime import date

import httpx
import psycopg

from app.core.auth import Role
from tests.api.factories import Origination, Servicing, headers, own_county


def listed_total(client: httpx.Client, who: dict[str, str], **params: str) -> int:
    answer = client.get("/v1/loans", params={"limit": 1, **params}, headers=who)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


def counted(database_url: str, prefix: str = "", status: str | None = None) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM loans WHERE region_code LIKE %s"
            " AND (%s::text IS NULL OR status = %s)",
            (f"{prefix}%", status, status),
        ).fetchone()
    assert row is not None
    return int(row[0])


def kept_counts_match_the_loans(database_url: str) -> None:
    """For every county and status: the kept count and the changes since equal the loans."""
    with psycopg.connect(database_url) as conn:
        differing = conn.execute("""
            WITH kept AS (
                SELECT region_code, status, sum(n) AS n FROM (
                    SELECT region_code, status, loans AS n FROM loan_counts
                    UNION ALL SELECT region_code, status, change FROM loan_count_changes
                ) both_ GROUP BY 1, 2
            ), actual AS (SELECT region_code, status, count(*) AS n FROM loans GROUP BY 1, 2)
            SELECT * FROM kept FULL JOIN actual USING (region_code, status)
            WHERE coalesce(kept.n, 0) <> coalesce(actual.n, 0)
        """).fetchall()
    assert differing == []


def test_a_list_by_region_and_status_counts_exactly_from_the_kept_counts(
    client: httpx.Client, database_url: str
) -> None:
    flow = Origination(client, region=own_county("55"))
    svc = Servicing(flow)
    start = date(2027, 3, 10)
    svc.contracted_loan()
    svc.active_loan(start)
    svc.active_loan(start)
    national = headers(Role.auditor, sub="national-auditor")
    county = flow.region

    def agree() -> None:
        assert listed_total(client, national, region=county) == counted(database_url, county) == 3
        for status, expected in (("active", 2), ("contracted", 1), ("closed", 0)):
            assert listed_total(client, national, region=county, status=status) == expected
            assert counted(database_url, county, status) == expected
        assert listed_total(client, national) == counted(database_url)
        assert listed_total(client, national, status="active") == counted(
            database_url, "", "active"
        )
        # an officer's list counts within the officer's regions only
        assert listed_total(client, flow.officer) == counted(database_url, county[:4])
        # a filter the counts cannot answer is counted from the loans, the same way
        officer = f"officer-{flow.tag}"
        assert listed_total(client, national, officer=officer) == 3
        kept_counts_match_the_loans(database_url)

    with psycopg.connect(database_url) as conn:
        changes = conn.execute(
            "SELECT count(*) FROM loan_count_changes WHERE region_code = %s", (county,)
        ).fetchone()
    assert changes is not None and changes[0] >= 5  # 3 made, 2 moved to active (out and in)
    agree()
    svc.close_through(start)  # the county's day closes: its changes fold into its counts
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM loan_count_changes WHERE region_code = %s", (county,)
        ).fetchone()
        kept = conn.execute(
            "SELECT status, loans FROM loan_counts WHERE region_code = %s AND loans <> 0"
            " ORDER BY status",
            (county,),
        ).fetchall()
    assert left is not None and left[0] == 0
    assert kept == [("active", 2), ("contracted", 1)]
    agree()
    # after the fold, a loan moving on is a change again, and still counted exactly
    svc.active_loan(date(2027, 3, 11))
    assert listed_total(client, national, region=county, status="active") == 3
    kept_counts_match_the_loans(database_url)
