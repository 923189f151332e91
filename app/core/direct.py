"""Direct routes: the hottest operation answered without FastAPI's routing and dependency
solving per request, and every answer but its success given by FastAPI itself.

Why: for a submission, FastAPI's own work per request (matching the path through 30 routers,
`solve_dependencies`, validating the handler's answer again) was a fifth of the API's CPU, by
an in-process A/B with requests alternating between the two paths (docs/benchmarks.md), and
submissions were short of their goal (a quarter of pgbench's TPC-B) by about that much.

For a request whose method and path are exactly a direct route's:
  1. its inputs are resolved by the functions FastAPI calls for this route (the bearer scheme,
     `current_principal`, the route's role check, the request's session) and its body is
     validated by the route's own body field;
  2. its handler is called with them;
  3. the answer is serialised by FastAPI's `serialize_response` with the route's response
     field, with the status and headers the handler set on its `response`.
Anything else goes to FastAPI's path unchanged, which answers it as any route's: a body that is
not plain JSON, a missing or bad token, a role refused, a validation error, a refusal by the
handler (any error FastAPI's exception handlers answer), an Idempotency-Key (its session is
opened before routing, in a thread), a dependency override (tests). So the direct path writes
no answer but a success. A handler that fails after writing is not handed over, as that would
run it twice: its error goes on as any unhandled error does (`db.wrote`).

At start-up `direct_routes` refuses a direct route with a dependency or a parameter not
resolved here, an include-time dependency or prefix, another route matching its path, or one
that is not a statement read or write (app/core/db.py). A dependency added to the route later
(a limit, a check) cannot be walked around: the service will not start until the route leaves
`DIRECT_OPERATIONS` or this module learns to resolve it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import auth, db
from app.core.deps import get_session
from app.core.metrics import DIRECT
from app.core.routes import included

# The operations served directly: the hottest write (bench/load.py's submissions).
DIRECT_OPERATIONS = frozenset({"submit_application"})

# What a direct route's handler may depend on, by the path of parameter names through its
# dependencies: the function called and the kinds of parameter it takes (FastAPI's names).
_RESOLVED: dict[tuple[str, ...], tuple[str, frozenset[str]]] = {
    ("session",): ("get_session", frozenset({"request"})),
    ("principal",): ("role check", frozenset()),
    ("principal", "principal"): ("current_principal", frozenset({"request"})),
    ("principal", "principal", "credentials"): ("bearer", frozenset({"http_connection"})),
}
_PARAMETER_KINDS = ("path", "query", "header", "cookie", "body")
_SPECIAL_KINDS = (
    "request",
    "websocket",
    "http_connection",
    "response",
    "background_tasks",
    "security_scopes",
)


@dataclass(frozen=True)
class DirectRoute:
    route: APIRoute
    method: str
    roles: frozenset[auth.Role]
    body: str  # the handler's parameter names: its body, and its response if it takes one
    response: str | None


def direct_routes(app: FastAPI) -> dict[tuple[str, str], DirectRoute]:
    """The direct routes by (method, path). Raises RuntimeError for a direct operation that
    has no route, or whose route is not one this module resolves as FastAPI would."""
    found: dict[tuple[str, str], DirectRoute] = {}
    for route, included_with in included(app.routes):
        if not isinstance(route, APIRoute) or route.name not in DIRECT_OPERATIONS:
            continue
        if included_with:
            raise RuntimeError(f"{route.name}: its router is included with {included_with}")
        direct = _direct(route)
        found[(direct.method, route.path)] = direct
    if missing := DIRECT_OPERATIONS - {d.route.name for d in found.values()}:
        raise RuntimeError(f"no route for the direct operations {sorted(missing)}")
    for (method, path), direct in found.items():
        others = [r for r, _ in included(app.routes) if _matches(r, method, path)]
        if others != [direct.route]:
            raise RuntimeError(f"{method} {path} is matched by {[_name(r) for r in others]}")
    return found


def _direct(route: APIRoute) -> DirectRoute:
    name = route.name
    if name not in db.STATEMENT_READS | db.STATEMENT_WRITES:
        raise RuntimeError(f"{name}: a direct route must be a statement read or write")
    if route.methods is None or len(route.methods) != 1 or route.param_convertors:
        raise RuntimeError(f"{name}: a direct route has one method and no path parameters")
    if not isinstance(route.response_class, DefaultPlaceholder) or route.response_field is None:
        raise RuntimeError(f"{name}: a direct route answers its response model as JSON")
    handler = route.dependant
    body = handler.body_params
    if len(body) != 1 or route.body_field is not body[0]:
        raise RuntimeError(f"{name}: a direct route takes one body, a model, not embedded")
    if (kinds := _kinds(handler) - {"body", "response"}) or len(handler.query_params):
        raise RuntimeError(f"{name}: a direct route takes no {sorted(kinds)} parameters")
    taken = dict(_dependencies(handler.dependencies, ()))
    if taken != _RESOLVED:
        raise RuntimeError(f"{name}: depends on {taken}; a direct route resolves {_RESOLVED}")
    (principal,) = (d for d in handler.dependencies if d.name == "principal")
    roles: frozenset[auth.Role] = principal.call.allowed_roles  # type: ignore[union-attr]
    (method,) = route.methods
    return DirectRoute(route, method, roles, body[0].name, handler.response_param_name)


def _kinds(dependant: Dependant) -> set[str]:
    return {k for k in _PARAMETER_KINDS if getattr(dependant, f"{k}_params")} | {
        k for k in _SPECIAL_KINDS if getattr(dependant, f"{k}_param_name")
    }


def _dependencies(
    dependencies: Iterable[Dependant], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], tuple[str, frozenset[str]]]]:
    for dependency in dependencies:
        here = (*path, dependency.name or "")
        yield here, (_called(dependency.call), frozenset(_kinds(dependency)))
        yield from _dependencies(dependency.dependencies, here)


def _called(call: Any) -> str:
    """The dependencies a direct route may take, by what they are (anything else by its repr,
    which matches nothing expected)."""
    if call is get_session:
        return "get_session"
    if call is auth.current_principal:
        return "current_principal"
    if call is auth.BEARER:
        return "bearer"
    if hasattr(call, "allowed_roles") and getattr(call, "__qualname__", "").startswith(
        auth.require.__qualname__
    ):
        return "role check"
    return repr(call)


def _matches(route: BaseRoute, method: str, path: str) -> bool:
    regex = getattr(route, "path_regex", None)
    methods = getattr(route, "methods", None)
    return bool(regex and regex.match(path)) and (methods is None or method in methods)


def _name(route: BaseRoute) -> str:
    return str(getattr(route, "name", None) or getattr(route, "path", route))


class DirectRoutes:
    """Innermost of the middleware, inside the unit of work: a direct route's request is
    answered here when all is well, and handed to FastAPI (`app`) otherwise."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.routes = direct_routes(api)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = None
        if scope["type"] == "http" and not scope.get("root_path"):
            direct = self.routes.get((scope["method"], scope["path"]))
        uow = scope.get("state", {}).get("uow")
        if direct is None or uow is None or uow.opened or self.api.dependency_overrides:
            await self.app(scope, receive, send)
            return
        message = await receive()  # the unit of work gives the whole body in one message
        answer = await _answer(direct, scope, message, self.api.exception_handlers)
        DIRECT.labels(direct.route.name, "answered" if answer else "handed_over").inc()
        await (answer or self.app)(scope, _again(message, receive), send)


async def _answer(
    direct: DirectRoute, scope: Scope, message: Message, handlers: dict[Any, Any]
) -> Response | None:
    route = direct.route
    scope.update(route=route, endpoint=route.endpoint, path_params={})
    request = Request(scope)
    if message.get("more_body"):  # the unit of work gives it whole; were it not, FastAPI reads on
        return None
    try:
        body = _json(request, message.get("body", b""))
        if body is None:
            return None
        value, errors = route.body_field.validate(body, {}, loc=("body",))  # type: ignore[union-attr]
        if errors:
            return None
        principal = await auth.current_principal(request, await auth.BEARER(request))
        auth.refuse_unless_role(principal, direct.roles)
    except Exception:  # a refusal: FastAPI resolves the same again and answers it
        return None
    session = await get_session(request)
    response = Response()  # the handler's `response`, as FastAPI makes it
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]
    arguments = {direct.body: value, "session": session, "principal": principal}
    if direct.response:
        arguments[direct.response] = response
    try:
        answer = await route.dependant.call(**arguments)  # type: ignore[misc]
    except Exception as exc:
        if not _refusal(exc, handlers) or db.wrote(session):
            raise
        return None  # nothing written: FastAPI runs the handler again and answers its refusal
    if isinstance(answer, Response):
        return answer
    content = await serialize_response(
        field=route.response_field,
        response_content=answer,
        include=route.response_model_include,
        exclude=route.response_model_exclude,
        by_alias=route.response_model_by_alias,
        exclude_unset=route.response_model_exclude_unset,
        exclude_defaults=route.response_model_exclude_defaults,
        exclude_none=route.response_model_exclude_none,
        dump_json=True,
    )
    status = response.status_code or route.status_code or 200
    made = Response(content, media_type="application/json", status_code=status)
    if not is_body_allowed_for_status_code(status):
        made.body = b""
    made.headers.raw.extend(response.headers.raw)
    return made


def _json(request: Request, body: bytes) -> Any:
    """The body as FastAPI would read it for a JSON content type; None where FastAPI is to
    judge it (another content type, none, an empty body, a JSON null)."""
    if not body or request.headers.get("content-type") != "application/json":
        return None
    return json.loads(body)


def _refusal(exc: Exception, handlers: dict[Any, Any]) -> bool:
    """Whether one of the app's exception handlers answers `exc`: a refusal (the catch-all for
    Exception answers a server error, and the unit of work answers the database's errors)."""
    return any(t in handlers for t in type(exc).__mro__ if t is not Exception)


def _again(message: Message, receive: Receive) -> Receive:
    """`receive` that gives `message` once more first."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return message
        return await receive()

    return again
