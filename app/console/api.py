"""The service's own API, called in process with the signed-in person's token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from app.console.forms import FIELD_LABELS
from app.core import replica


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
        return self.problem_naming(FIELD_LABELS)

    def problem_naming(self, labels: Mapping[str, str]) -> str:
        """The refusal, each field named by its form's label (`labels`: the API's field path,
        e.g. `members.0.id_number`, or its last part, to the label)."""
        if self.ok or not isinstance(self.body, dict):
            return ""
        said = str(self.body.get("detail", ""))
        rules = [
            f"{r.get('message', '')}（{r['clause']}）" if r.get("clause") else r.get("message", "")
            for r in self.body.get("rules") or []
        ]
        if len(rules) == 1 and rules[0].startswith(said):  # one rule: it says it all
            said = ""
        fields = [_where(e, {**FIELD_LABELS, **labels}) for e in self.body.get("errors") or []]
        if fields and str(self.body.get("type", "")).endswith(":validation-error"):
            # the fields say it: the API's own words only point at them
            return "请修改：" + "；".join((*rules, *fields))
        return "；".join(part for part in (said, *rules, *fields) if part)


def _where(error: dict[str, Any], labels: Mapping[str, str]) -> str:
    """A field's or a file row's problem: `第 3 行：…` for a row, else the field (by its form's
    label where the form has one) and the words."""
    loc = [str(p) for p in error.get("loc", [])]
    message = str(error.get("msg", ""))
    if loc and loc[0].startswith("line "):
        return f"第 {loc[0].removeprefix('line ')} 行：{message}"
    path = ".".join(loc[1:])
    named = labels.get(path) or (labels.get(loc[-1]) if loc[1:] else None)
    return f"{named or path}：{message}" if loc[1:] else message


class Api:
    """GET and POST against /v1 as the person signed in (Accept-Language: zh)."""

    def __init__(self, request: Request, token: str) -> None:
        self._transport = httpx.ASGITransport(app=request.app)
        self._headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
        self._request = request
        # read-your-writes through a standby: the person's last write, as the browser keeps it
        if lsn := request.cookies.get(replica.LSN_COOKIE):
            self._headers[replica.LSN_HEADER] = lsn

    async def _send(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Answer:
        async with httpx.AsyncClient(
            transport=self._transport, base_url="http://console.internal", timeout=120
        ) as client:
            response = await client.request(
                method, path, headers={**self._headers, **(headers or {})}, **kwargs
            )
        if lsn := replica.parse_lsn(response.headers.get(replica.LSN_HEADER)):
            self._headers[replica.LSN_HEADER] = replica.format_lsn(lsn)
            self._request.state.written_lsn = lsn
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

    async def write(
        self, method: str, path: str, body: dict[str, Any] | None, key: str | None
    ) -> Answer:
        """A write by any method; POST carries the form's Idempotency-Key."""
        if method == "POST":
            headers = {"Idempotency-Key": key or str(uuid.uuid4())}
            if body is None:
                return await self._send("POST", path, headers=headers)
            return await self._send("POST", path, json=body, headers=headers)
        return await self._send(method, path, json=body or {})

    async def upload(
        self,
        path: str,
        content: AsyncIterator[bytes],
        content_type: str,
        key: str,
        *,
        as_job: bool = True,
        **params: Any,
    ) -> Answer:
        """A file streamed as it arrives: to an import, as a job (`Prefer: respond-async`), or
        (`as_job=False`) to be kept as it is (an evidence attachment)."""
        headers = {"Content-Type": content_type, "Idempotency-Key": key or str(uuid.uuid4())}
        if as_job:
            headers["Prefer"] = "respond-async"
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self._send("POST", path, headers=headers, content=content, params=clean)

    async def file(self, path: str, **params: Any) -> httpx.Response:
        """A download as the API answered it (a workbook, a CSV), to hand on unchanged."""
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        async with httpx.AsyncClient(
            transport=self._transport, base_url="http://console.internal", timeout=300
        ) as client:
            return await client.get(path, params=clean, headers=self._headers)
