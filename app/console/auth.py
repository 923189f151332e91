"""Signing in to the console: the bank's token, kept in an HttpOnly, SameSite=Strict cookie;
in development a form mints one (refused in production). Writes check that the form came
from this console (Origin), on top of the cookie's SameSite."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request

from app.core.auth import Principal, decode_token
from app.core.problems import Problem
from app.core.settings import Environment, get_settings

COOKIE = "bangfu_console"


@dataclass(frozen=True, slots=True)
class User:
    principal: Principal
    token: str

    def has(self, *roles: str) -> bool:
        return any(r.value in roles for r in self.principal.roles)


class SignInNeededError(Exception):
    pass


def user_with(token: str) -> User:
    """The person a token names, if it is valid and unexpired."""
    try:
        return User(decode_token(token, get_settings()), token)
    except Problem as exc:  # expired, or no longer valid
        raise SignInNeededError from exc


def user_of(request: Request) -> User:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeededError
    return user_with(token)


def minting_allowed() -> bool:
    return get_settings().environment is not Environment.production


def same_origin(request: Request) -> bool:
    """A write's Origin (or Referer) is this console's own host."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return False
    return urlsplit(sent).netloc == request.headers.get("host")
