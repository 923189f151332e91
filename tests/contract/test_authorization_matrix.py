"""Every operation × every role, no token, and a token from another region, generated from the
OpenAPI document's x-roles: 401 without a token, 403 for a role that may not, never 401/403
for one that may, and 404 for a record outside the caller's regions."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from app.core.auth import Role, issue_token
from tests.api.factories import Origination, Servicing

ROLES = [r.value for r in Role]
PUBLIC = {"/health/live", "/health/ready", "/openapi.json", "/docs"}


def bearer(role: str, regions: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(f'matrix-{role}', [role], regions)}"}


@pytest.fixture(scope="module")
def spec(live_server: str) -> dict[str, object]:
    return dict(httpx.get(f"{live_server}/openapi.json").json())


def operations(spec: dict[str, object]) -> list[tuple[str, str, list[str]]]:
    found = []
    for path, methods in spec["paths"].items():  # type: ignore[attr-defined]
        if not path.startswith("/v1"):
            continue
        for method, operation in methods.items():
            found.append((method.upper(), path, operation.get("x-roles")))
    return found


def concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda m: "520102" if m.group(0) == "{code}" else str(uuid.uuid4()), path
    )


def test_every_operation_declares_its_roles(spec: dict[str, object]) -> None:
    undeclared = [f"{m} {p}" for m, p, roles in operations(spec) if not roles]
    assert undeclared == [], "operations without a declared authorization policy"
    assert len(operations(spec)) >= 35


def test_no_token_is_401_everywhere(spec: dict[str, object], client: httpx.Client) -> None:
    for method, path, _ in operations(spec):
        answer = client.request(method, concrete(path))
        assert answer.status_code == 401, f"{method} {path}: {answer.status_code}"
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_each_role_is_let_in_or_refused_as_declared(
    spec: dict[str, object], client: httpx.Client
) -> None:
    checked = 0
    for method, path, roles in operations(spec):
        for role in ROLES:
            answer = client.request(method, concrete(path), headers=bearer(role, ["*"]), json={})
            allowed = roles == ["*"] or role in roles
            if allowed:
                assert answer.status_code not in (401, 403), (
                    f"{role} refused on {method} {path}: {answer.text[:200]}"
                )
            else:
                assert answer.status_code == 403, (
                    f"{role} let into {method} {path}: {answer.status_code}"
                )
            assert answer.status_code < 500, f"{method} {path} as {role}: {answer.text}"
            checked += 1
    assert checked == len(operations(spec)) * len(ROLES)


def test_records_outside_the_callers_regions_are_404(
    spec: dict[str, object], client: httpx.Client
) -> None:
    svc = Servicing(Origination(client))
    loan = svc.active_loan()
    ids = {
        "{loan_id}": loan["id"],
        "{household_id}": loan["household_id"],
        "{application_id}": loan["application_id"],
        "{code}": "520102",
        "{kind}": "contract",  # a loan's document
    }
    reads = [
        (m, p, r)
        for m, p, r in operations(spec)
        if m == "GET" and any(k in p for k in ids if k != "{kind}")
    ]
    assert len(reads) >= 6
    for _, path, roles in reads:
        role = ROLES[0] if roles == ["*"] else roles[0]
        url = path
        for key, value in ids.items():
            url = url.replace(key, value)
        inside = client.get(url, headers=bearer(role, ["5201"]))
        outside = client.get(url, headers=bearer(role, ["11"]))
        assert inside.status_code == 200, f"{path} as {role}: {inside.text[:200]}"
        assert outside.status_code == 404, f"{path} as {role} from elsewhere"


def test_every_schema_has_a_name_of_its_own(spec: dict[str, object]) -> None:
    """Two models sharing a name make FastAPI qualify both with their module path, and client
    generators (openapi-python-client) skip the operations that use them."""
    names = list(spec["components"]["schemas"])  # type: ignore[index]
    assert [n for n in names if "__" in n] == []
