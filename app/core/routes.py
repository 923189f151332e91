"""The app's routes as FastAPI holds them: behind its included routers, one walk for all who
read them (the API document's roles, the direct routes' start-up checks)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def included(
    routes: Iterable[BaseRoute], added: tuple[Any, ...] = ()
) -> Iterator[tuple[BaseRoute, tuple[Any, ...]]]:
    """Every route (a mount as one), with what the routers it is included through add to it:
    their include-time dependencies and prefixes."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            context: Any = getattr(route, "include_context")  # noqa: B009 (not typed)
            more = (*context.dependencies, *((context.prefix,) if context.prefix else ()))
            yield from included(route.original_router.routes, (*added, *more))
        else:
            yield route, added


def api_routes(routes: Iterable[BaseRoute]) -> list[APIRoute]:
    """Every APIRoute, through included routers."""
    return [route for route, _ in included(routes) if isinstance(route, APIRoute)]
