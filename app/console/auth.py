"""Signing in to the console (issue 26): the bank's token opens a session the service keeps
(app/console/sessions.py); the browser holds only the session's random secret, in an HttpOnly,
SameSite=Strict cookie that is Secure in production. In development a form mints a token
(refused in production). Writes check that the form came from this console: the Origin (or
Referer) must match scheme, host and port, on top of the cookie's SameSite."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request

from app.console import sessions
from app.core.auth import Principal
from app.core.settings import Environment, get_settings

COOKIE = "bangfu_console"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class User:
    principal: Principal
    token: str

    def has(self, *roles: str) -> bool:
        return any(r.value in roles for r in self.principal.roles)


class SignInNeededError(Exception):
    pass


def user_of(request: Request) -> User:
    """The person whose open session the cookie names; SignInNeededError otherwise."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise SignInNeededError
    found = sessions.resolve(secret)
    if found is None:
        raise SignInNeededError
    return User(*found)


def minting_allowed() -> bool:
    return get_settings().environment is not Environment.production


def secure_cookies(request: Request) -> bool:
    """Secure whenever the service runs in production, whatever the request's scheme says."""
    return get_settings().environment is Environment.production or request.url.scheme == "https"


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def own_origin(request: Request) -> tuple[str, str, int] | None:
    """This console's origin: CONSOLE_ORIGIN if set, else the request's host, over https in
    production (TLS may end at a proxy)."""
    configured = get_settings().console_origin
    if configured:
        return _origin(configured)
    scheme = "https" if secure_cookies(request) else request.url.scheme
    return _origin(f"{scheme}://{request.headers.get('host', '')}")


def same_origin(request: Request) -> bool:
    """A write's Origin (or Referer) is this console's own: scheme, host and port."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return False
    mine = own_origin(request)
    return mine is not None and _origin(sent) == mine
