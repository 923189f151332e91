"""create_app(): routers, middleware, error handlers and the OpenAPI document."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import apidoc
from app.applications.router import officers_router
from app.applications.router import router as applications_router
from app.audit.router import router as audit_router
from app.batch.router import router as batches_router
from app.collections.router import router as collections_router
from app.console.admin import router as console_sessions_router
from app.console.router import install as install_console
from app.core import db
from app.core.auth import current_principal
from app.core.direct import DirectRoutes, direct_routes
from app.core.headers import SecurityHeadersMiddleware, allow_inline_scripts
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware, UnitOfWorkMiddleware
from app.core.problems import (
    PROBLEM_MEDIA_TYPE,
    FieldProblem,
    ProblemDetails,
    RuleFailure,
    install_problem_handlers,
)
from app.core.routes import api_routes
from app.core.settings import get_settings
from app.decisions.router import router as decisions_router
from app.decisions.router import who_decides
from app.disbursements.router import router as disbursements_router
from app.documents.router import router as documents_router
from app.domain.labels import ZH
from app.evidence.router import router as evidence_router
from app.exemptions.router import router as exemptions_router
from app.health.router import router as health_router
from app.households.router import router as households_router
from app.jobs.router import router as jobs_router
from app.legacy.router import lpr_router
from app.legacy.router import router as legacy_router
from app.loans.router import router as loans_router
from app.messages.router import router as messages_router
from app.monitoring.router import router as monitoring_router
from app.policy.router import router as policy_router
from app.regions.router import programmes_router
from app.regions.router import router as regions_router
from app.renewals.router import queue_router as chain_requests_router
from app.renewals.router import router as renewals_router
from app.reports.monitoring_router import router as monitoring_report_router
from app.reports.router import router as reports_router
from app.roster.router import router as roster_router
from app.servicing.router import router as servicing_router

DESCRIPTION = """\
Bank-side origination and servicing of 帮扶小额信贷 (assistance microcredit) under the joint
notice of 2026-02-24. Errors are RFC 9457 problem details. Writes accept `Idempotency-Key`.
Authenticate with `Authorization: Bearer <JWT>` (`bangfu token` mints one for local use).
"""

# Statuses any /v1 operation may answer besides its own.
_COMMON_STATUSES = {
    "422": "Unprocessable Content",
    "500": "Internal Server Error",
    "503": "Service Unavailable",
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What start-up loaded (modules, the ORM's mappers, the OpenAPI models) lives as long as
    # the process; frozen, the cyclic collector stops re-scanning it on every full collection,
    # which otherwise costs tens of milliseconds at the latency tail.
    gc.collect()
    gc.freeze()
    yield


STATIC = Path(__file__).with_name("static")
SWAGGER_UI = (
    "/static/swagger-ui-5.35.0"  # swagger-ui-dist, pinned and vendored (its LICENSE beside)
)
REDOC = "/static/redoc-2.5.1"  # redoc's standalone bundle from npm, pinned (its LICENSE beside)


def _serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI and ReDoc from the service itself, never a CDN (an intranet has no
    internet); ReDoc without Google's fonts (the browser's own serve)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Bangfu 接口文档",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            oauth2_redirect_url=None,
            # the online validator badge would call validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )
        return allow_inline_scripts(page)  # its start-up script, by hash

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Bangfu 接口文档",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            with_google_fonts=False,
        )


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        title="Bangfu",
        version="1.0.0",
        # /docs is served below from vendored assets: the bank's intranet has no internet
        docs_url=None,
        redoc_url=None,
        description=DESCRIPTION,
        lifespan=_lifespan,
        openapi_tags=[{"name": name, "description": text} for name, text in apidoc.TAGS.items()],
        # an operation's id is its handler's name: what generated clients call it by
        generate_unique_id_function=lambda route: route.name,
    )
    install_problem_handlers(app)
    _serve_docs_offline(app)
    app.add_middleware(DirectRoutes, api=app)  # innermost: inside the unit of work
    app.add_middleware(UnitOfWorkMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer carries them
    for router in (
        health_router,
        policy_router,
        roster_router,
        households_router,
        applications_router,
        officers_router,
        loans_router,
        disbursements_router,
        servicing_router,
        monitoring_router,
        collections_router,
        exemptions_router,
        renewals_router,
        chain_requests_router,
        legacy_router,
        lpr_router,
        batches_router,
        jobs_router,
        regions_router,
        programmes_router,
        reports_router,
        monitoring_report_router,
        documents_router,
        evidence_router,
        messages_router,
        decisions_router,
        audit_router,
        console_sessions_router,
    ):
        app.include_router(router)
    # the console's pages after the API's routes: an API request is matched before them
    install_console(app)
    # the statement reads' and writes' connections are asyncio's, and only they run on the loop
    if unmet := db.LOOP_OPERATIONS ^ (db.STATEMENT_READS | db.STATEMENT_WRITES):
        raise RuntimeError(f"not both on the event loop and a statement read or write: {unmet}")
    direct_routes(app)  # refuses a direct route it would not resolve as FastAPI does
    # every feature has registered its four-eyes handlers by now: the table of who asks and
    # who decides each kind goes under the decisions tag
    for tag in app.openapi_tags or []:
        if tag["name"] == "decisions":
            tag["description"] = f"{tag['description']}\n\n{who_decides()}"
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}


def _roles(dependant: Any) -> list[str] | None:
    """The roles a route's auth dependency allows: a list, ["*"] for any role, None if public."""
    for dependency in dependant.dependencies:
        allowed = getattr(dependency.call, "allowed_roles", None)
        if allowed is not None:
            return sorted(r.value for r in allowed)
        if dependency.call is current_principal:
            return ["*"]
        inner = _roles(dependency)
        if inner is not None:
            return inner
    return None


def _label_enums(schemas: dict[str, Any]) -> None:
    """Each enum's codes with their Chinese labels in its description (JSON keeps the codes)."""
    for name, schema in schemas.items():
        labels = ZH.get(name)
        if "enum" in schema and labels:
            listed = "\n".join(f"- `{code}`：{labels.get(code, code)}" for code in schema["enum"])
            schema["description"] = (schema.get("description", "") + "\n\n" + listed).strip()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with problem details declared wherever an operation can fail."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in (ProblemDetails, FieldProblem, RuleFailure):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas[model.__name__] = schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _label_enums(schemas)
    apidoc.name_the_twins()
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            operation["summary"] = apidoc.SUMMARIES.get(operation["operationId"], "")
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = _problem_content()
            if not path.startswith("/v1"):
                continue
            if "requestBody" in operation:
                responses.setdefault(
                    "413", {"description": "Content Too Large", "content": _problem_content()}
                )
            if operation.get("security"):
                responses.setdefault("401", {"description": "Unauthorized"})
                responses["401"]["content"] = _problem_content()
            for status, description in _COMMON_STATUSES.items():
                responses.setdefault(
                    status, {"description": description, "content": _problem_content()}
                )
    # x-roles: who may call each operation ("*": any authenticated role). The authorization
    # matrix test reads it; an operation under /v1 without it fails that test.
    for route in api_routes(app.routes):
        roles = _roles(route.dependant)
        for method in route.methods or ():
            operation = spec["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None and roles is not None:
                operation["x-roles"] = roles
    app.openapi_schema = spec
    return spec
