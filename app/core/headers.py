"""Security headers on every response (issue 26), production included: a Content Security
Policy that runs only the service's own scripts (htmx and Swagger UI are vendored; no inline
script, no CDN) and lets no other site frame a page, `nosniff`, `Referrer-Policy: same-origin`,
and HSTS whenever ENVIRONMENT=production. Console pages are not cached (they show personal
data). A page the service generates with an inline script of its own (Swagger UI's start-up)
allows exactly that script by its hash (`allow_inline_scripts`)."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.settings import Environment, get_settings

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def policy(*script_hashes: str) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            # htmx adds its indicator style; Swagger UI and ReDoc style their own elements
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CSP = policy()
HSTS = "max-age=31536000; includeSubDomains"


def allow_inline_scripts(response: HTMLResponse) -> HTMLResponse:
    """A generated page's own inline scripts allowed by their hashes, and no other."""
    hashes = [
        base64.b64encode(hashlib.sha256(script).digest()).decode()
        for script in _INLINE_SCRIPT.findall(bytes(response.body))
    ]
    response.headers["content-security-policy"] = policy(*hashes)
    return response


class SecurityHeadersMiddleware:
    """Adds the headers to whatever the application answers (a CSP it set stays)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        production = get_settings().environment is Environment.production
        console = scope["path"].startswith("/console")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if production:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                if console:
                    wanted.append((b"cache-control", b"no-store"))
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
