"""The direct route (app/core/direct.py): a submission's success is answered without FastAPI's
routing and dependency solving, exactly as FastAPI answers it; every other answer is FastAPI's
own; a handler that fails after its write is not run twice; and the service will not start
with a direct route whose dependencies it would not resolve as FastAPI does.

FastAPI's own path is reached, for the same request, by a content type the direct route does
not read ("application/json; charset=utf-8"): FastAPI reads it as JSON all the same."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.utils import get_parameterless_sub_dependant
from prometheus_client import REGISTRY

from app.applications import router as applications
from app.core import direct
from app.core.auth import Role
from app.core.problems import Problem
from app.main import create_app
from tests.api.factories import Origination, application_body, applications_of
from tests.conftest import TokenFactory

DIRECTLY = {"content-type": "application/json"}
THROUGH_FASTAPI = {"content-type": "application/json; charset=utf-8"}
# what differs between two answers to the same submission
VARYING = {"id", "submitted_at", "created_at", "updated_at", "instance", "request_id"}


def counted(outcome: str) -> float:
    labels = {"operation": "submit_application", "outcome": outcome}
    return REGISTRY.get_sample_value("bangfu_direct_requests_total", labels) or 0.0


def post(client: httpx.Client, body: Any, headers: dict[str, str]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/v1/applications", content=content, headers=headers)


def without_varying(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_varying(v) for k, v in value.items() if k not in VARYING}
    if isinstance(value, list):
        return [without_varying(v) for v in value]
    return value


def test_a_submission_is_answered_directly_as_fastapi_answers_it(
    client: httpx.Client, database_url: str
) -> None:
    flow = Origination(client)
    _, household = flow.ready_household()
    body = application_body(household)
    answered, handed_over = counted("answered"), counted("handed_over")
    first = post(client, body, {**flow.officer, **DIRECTLY})
    assert (counted("answered"), counted("handed_over")) == (answered + 1, handed_over)
    second = post(client, body, {**flow.officer, **THROUGH_FASTAPI})
    assert counted("handed_over") == handed_over + 1
    assert first.status_code == second.status_code == 201, first.text
    assert without_varying(first.json()) == without_varying(second.json())
    assert len(first.json()["eligibility"]["rules"]) > 10  # every rule, with its clause
    for answer in (first, second):
        assert answer.headers["location"] == f"/v1/applications/{answer.json()['id']}"
    varying = {"x-request-id", "location", "content-length"}
    assert {k: v for k, v in first.headers.items() if k not in varying} == {
        k: v for k, v in second.headers.items() if k not in varying
    }
    assert list(first.headers) == list(second.headers)  # the same headers, in the same order
    assert applications_of(database_url, household["id"]) == 2


REFUSALS: dict[str, tuple[int, Any]] = {
    "no token": (401, None),
    "a role that may not submit": (403, None),
    "invalid terms": (422, {"term_months": 0}),
    "an unknown purpose": (422, {"purpose": "casino"}),
    "a member of another household": (422, {"applicant_member_id": str(uuid.uuid4())}),
    "an unknown household": (404, {"household_id": str(uuid.uuid4())}),
    "a household outside the officer's regions": (404, None),
    "malformed JSON": (422, b'{"household_id": '),
    "JSON null": (422, b"null"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_every_refusal_is_fastapis_own_answer_and_writes_nothing(
    case: str, client: httpx.Client, auth: TokenFactory, database_url: str
) -> None:
    flow = Origination(client)
    _, household = flow.ready_household()
    status, change = REFUSALS[case]
    body: Any = change
    if not isinstance(change, bytes):
        body = application_body(household, **(change or {}))
    caller = {
        "no token": {},
        "a role that may not submit": auth(Role.credit_reviewer, regions=["*"]),
        "a household outside the officer's regions": auth(Role.loan_officer, regions=["110101"]),
    }.get(case, flow.officer)
    answered = counted("answered")
    handed_over = counted("handed_over")
    refused = post(client, body, {**caller, **DIRECTLY})
    assert (counted("answered"), counted("handed_over")) == (answered, handed_over + 1)
    by_fastapi = post(client, body, {**caller, **THROUGH_FASTAPI})
    assert refused.status_code == by_fastapi.status_code == status, refused.text
    assert refused.headers["content-type"] == by_fastapi.headers["content-type"]
    assert without_varying(refused.json()) == without_varying(by_fastapi.json())
    assert applications_of(database_url, household["id"]) == 0


def test_a_handler_failing_after_its_write_is_not_run_twice(
    client: httpx.Client, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the answer fails after the application was written (it never does; here it
    is made to): handing the request to FastAPI would run the handler again, so the error goes
    on as a server error instead, and the application is written once."""
    flow = Origination(client)
    _, household = flow.ready_household()

    def fails(*_: object) -> str:
        raise Problem(409, "a refusal that comes too late")

    monkeypatch.setattr(applications, "name_as_shown", fails)
    handed_over = counted("handed_over")
    answer = post(client, application_body(household), {**flow.officer, **DIRECTLY})
    assert answer.status_code == 500, answer.text
    assert counted("handed_over") == handed_over
    assert applications_of(database_url, household["id"]) == 1


def test_a_keyed_submission_is_fastapis(client: httpx.Client) -> None:
    """An Idempotency-Key's session is opened before routing: FastAPI serves the request."""
    flow = Origination(client)
    _, household = flow.ready_household()
    answered, handed_over = counted("answered"), counted("handed_over")
    key = {**flow.officer, **DIRECTLY, "Idempotency-Key": str(uuid.uuid4())}
    assert post(client, application_body(household), key).status_code == 201
    assert (counted("answered"), counted("handed_over")) == (answered, handed_over)


def _submit_route() -> Any:
    (route,) = (r for r in applications.router.routes if r.name == "submit_application")  # type: ignore[attr-defined]
    return route


def limit() -> None:
    """A dependency the direct route does not resolve (a rate limit, say)."""


def test_the_service_will_not_start_with_a_dependency_the_direct_route_would_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    route = _submit_route()
    added = get_parameterless_sub_dependant(depends=Depends(limit), path=route.path)
    monkeypatch.setattr(route.dependant, "dependencies", [added, *route.dependant.dependencies])
    with pytest.raises(RuntimeError, match="submit_application: depends on"):
        create_app()


def test_the_service_will_not_start_with_a_direct_route_that_is_not_a_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(direct, "DIRECT_OPERATIONS", direct.DIRECT_OPERATIONS | {"get_household"})
    with pytest.raises(RuntimeError, match="get_household: a direct route must be a statement"):
        create_app()


def test_a_direct_route_included_with_a_dependency_or_a_prefix_is_refused() -> None:
    for extra in ({"dependencies": [Depends(limit)]}, {"prefix": "/v2"}):
        app = FastAPI()
        app.include_router(applications.router, **extra)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="submit_application: its router is included"):
            direct.direct_routes(app)
    shadowed = FastAPI()
    shadowed.post("/v1/applications")(limit)
    shadowed.include_router(applications.router)
    with pytest.raises(RuntimeError, match=r"POST /v1/applications is matched by \['limit'"):
        direct.direct_routes(shadowed)
