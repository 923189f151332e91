"""Region scope, generated from the API document: every list and report operation (a GET with
no path parameter), called by a caller scoped to one county, shows nothing of another county —
not even when the other county is asked for by name. The same calls made nationally do show
it, so the test can tell a leak from an empty answer. A new list or report is covered without
writing a test; one with a required parameter this test cannot fill fails it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.auth import Role, issue_token
from tests.api.factories import Origination, Servicing

OURS, THEIRS = "538801", "548801"
OUR_SCOPE, THEIR_PREFIX = "5388", "5488"


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def bearer(regions: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('scope-test', list(Role), regions)}"}


@pytest.fixture(scope="module")
def world(live_server: str) -> dict[str, Any]:
    """A loan in each county, both closed through the month's end."""
    end = month_end(clock.today())
    markers = {THEIRS}
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for county in (OURS, THEIRS):
            svc = Servicing(Origination(client, region=county))
            loan = svc.active_loan(clock.today())
            svc.close_through(end)
            if county == THEIRS:
                markers |= {loan["id"], loan["household_id"], loan["application_id"]}
        spec = client.get("/openapi.json").json()
    return {"end": end, "markers": markers, "spec": spec}


def parameters(operation: dict[str, Any], end: date, *, ask_for_theirs: bool) -> dict[str, str]:
    known = {
        "period": f"{end:%Y-%m}",
        "as_of": (end + timedelta(days=400)).isoformat(),
        "regions": f"{OURS},{THEIRS}",
        "from": end.replace(day=1).isoformat(),
        "to": end.isoformat(),
        "bank_npl_ratio": "0.01",
    }
    found = {}
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] != "query":
            continue
        if name == "region" and ask_for_theirs:
            found[name] = THEIRS if "{6}" in str(parameter["schema"]) else THEIR_PREFIX
        elif name == "as_of" and operation["operationId"] == "portfolio_quality":
            found[name] = end.isoformat()
        elif name in known:
            found[name] = known[name]
        elif parameter.get("required"):
            pytest.fail(f"{operation['operationId']}: no value for required {name}")
    return found


def list_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, methods["get"])
        for path, methods in spec["paths"].items()
        if path.startswith("/v1")
        and "{" not in path
        and "get" in methods
        and not _keyed_by_a_record(methods["get"])
    ]


def _keyed_by_a_record(operation: dict[str, Any]) -> bool:
    """A record's own list named by its id in the query (a record's attachments), read as its
    path would be: tests/api/test_evidence.py holds it to the record's county."""
    return any(
        p["in"] == "query" and p.get("required") and p["name"] == "subject_id"
        for p in operation.get("parameters", [])
    )


def test_a_caller_scoped_to_one_county_sees_nothing_of_another(
    world: dict[str, Any], client: httpx.Client
) -> None:
    operations = list_operations(world["spec"])
    assert len(operations) >= 10
    leaks, seen_nationally = [], set()
    for path, operation in operations:
        for ask_for_theirs in (False, True):
            params = parameters(operation, world["end"], ask_for_theirs=ask_for_theirs)
            answers = {
                accept: client.get(
                    path, params=params, headers={**bearer([OUR_SCOPE]), "Accept": accept}
                )
                for accept in ("application/json", "text/csv")
            }
            for accept, scoped in answers.items():
                # Naming the other county may be 404: it does not exist for this caller.
                allowed = {200, 404} if ask_for_theirs else {200}
                assert scoped.status_code in allowed, f"GET {path} {params}: {scoped.text[:300]}"
                leaked = [m for m in world["markers"] if m in scoped.text]
                if leaked:
                    leaks.append(f"GET {path} ({accept}, {params}): {leaked}")
            national = client.get(path, params=params, headers=bearer(["*"]))
            if any(m in national.text for m in world["markers"]):
                seen_nationally.add(path)
    assert leaks == []
    # The other county's data is there to be leaked: a national caller sees it in these.
    assert {
        "/v1/loans",
        "/v1/applications",
        "/v1/audit-events",
        "/v1/monitoring/due-visits",
        "/v1/reports/subsidy-claims",
        "/v1/reports/portfolio-quality",
        "/v1/reports/portfolio-quality/chart.svg",
    } <= seen_nationally
