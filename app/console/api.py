"""The service's own API, called in process with the signed-in person's token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def problem(self) -> str:
        """A refusal as the API said it (in Chinese), with each failing rule and its clause."""
        if self.ok or not isinstance(self.body, dict):
            return ""
        said = str(self.body.get("detail", ""))
        rules = [
            f"{r.get('message', '')}（{r['clause']}）" if r.get("clause") else r.get("message", "")
            for r in self.body.get("rules") or []
        ]
        if len(rules) == 1 and rules[0].startswith(said):  # one rule: it says it all
            said = ""
        fields = [
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}：{e.get('msg', '')}"
            for e in self.body.get("errors") or []
        ]
        return "；".join(part for part in (said, *rules, *fields) if part)


class Api:
    """GET and POST against /v1 as the person signed in (Accept-Language: zh)."""

    def __init__(self, request: Request, token: str) -> None:
        self._transport = httpx.ASGITransport(app=request.app)
        self._headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}

    async def _send(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Answer:
        async with httpx.AsyncClient(
            transport=self._transport, base_url="http://console.internal", timeout=120
        ) as client:
            response = await client.request(
                method, path, headers={**self._headers, **(headers or {})}, **kwargs
            )
        kind = response.headers.get("content-type", "")
        if kind.startswith(("application/json", "application/problem")):
            return Answer(response.status_code, response.json())
        return Answer(response.status_code, response.content)

    async def get(self, path: str, **params: Any) -> Answer:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self._send("GET", path, params=clean)

    async def post(self, path: str, body: dict[str, Any], key: str | None = None) -> Answer:
        """A write, with the form's Idempotency-Key: a double click or a resent form is one
        write."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return await self._send("POST", path, json=body, headers=headers)

    async def put(self, path: str, body: dict[str, Any]) -> Answer:
        return await self._send("PUT", path, json=body)
