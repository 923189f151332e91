"""A stand-in for the SMS gateway, run as its own process (`bangfu sms-sim`), as the core banking
simulator stands in for core banking.

It takes texts (deduplicated by their Idempotency-Key: a text sent again is not sent twice to
the phone), keeps a ledger of what it sent, and calls Bangfu back with a delivery receipt.
Faults can be injected: error rate, latency, timeouts (the text is sent but the answer comes
too late), undelivered texts and duplicate receipts. `GET /messages` is its ledger; it keeps
a phone masked and by its SHA-256 only, as a real gateway's logs should.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.core import clock
from app.core.auth import Role, issue_token
from app.core.masking import mask_phone
from app.integrations.callbacks import call_back
from app.integrations.core_sim import Faults


class SmsFaults(Faults):
    undelivered_rate: float = Field(default=0, ge=0, le=1)


class Text(BaseModel):
    message_id: str
    text: str = Field(max_length=1000)
    phone: str = Field(pattern=r"^1\d{10}$")
    receipt_url: str


@dataclass
class SentTexts:
    texts: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    receipts_sent: int = 0


class _Gateway:
    def __init__(self, faults: SmsFaults | None, seed: int | None) -> None:
        self.faults = faults or SmsFaults()
        self.sent = SentTexts()
        self.rng = random.Random(seed)  # noqa: S311 (fault injection, not secrecy)
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.token = issue_token("sms-gateway-sim", [Role.sms_gateway], ["*"])

    def send(self, text: Text, key: str) -> JSONResponse:
        f = self.faults
        with self.sent.lock:
            self.sent.requests += 1
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        if self.rng.random() < f.error_rate:
            return JSONResponse({"error": "injected failure"}, status_code=503)
        with self.sent.lock:
            existing = self.sent.texts.get(key)
            if existing is None:
                delivered = self.rng.random() >= f.undelivered_rate
                existing = {
                    "gateway_message_id": f"SMS{uuid.uuid4().hex[:16].upper()}",
                    "message_id": text.message_id,
                    "key": key,
                    "text": text.text,
                    "phone_masked": mask_phone(text.phone),
                    "phone_sha256": hashlib.sha256(text.phone.encode()).hexdigest(),
                    "delivered": delivered,
                }
                self.sent.texts[key] = existing
                self.pool.submit(self.report, existing, text.receipt_url)
        if self.rng.random() < f.timeout_rate:
            time.sleep(f.timeout_seconds)  # sent; the answer comes too late
        return JSONResponse(
            {"gateway_message_id": existing["gateway_message_id"], "status": "accepted"},
            status_code=202,
        )

    def report(self, sent: dict[str, Any], url: str) -> None:
        body = {
            "message_id": sent["message_id"],
            "status": "delivered" if sent["delivered"] else "undelivered",
            "gateway_message_id": sent["gateway_message_id"],
            "error_code": None if sent["delivered"] else "UNREACHABLE",
            "reported_at": clock.now().isoformat(),
        }
        times = 2 if self.rng.random() < self.faults.duplicate_callback_rate else 1
        with httpx.Client(timeout=10) as client:
            for _ in range(times):
                status, error = call_back(client, url, body, self.token)
                with self.sent.lock:
                    if status is not None:
                        self.sent.receipts_sent += 1
                    sent["receipt_status" if status is not None else "receipt_error"] = (
                        status or error
                    )


def create_sms_sim(faults: SmsFaults | None = None, seed: int | None = None) -> FastAPI:
    app = FastAPI(title="SMS gateway simulator")
    gateway = _Gateway(faults, seed)

    @app.post("/messages", status_code=202)
    def send(text: Text, key: Annotated[str, Header(alias="Idempotency-Key")]) -> JSONResponse:
        return gateway.send(text, key)

    @app.get("/messages")
    def texts() -> dict[str, Any]:
        with gateway.sent.lock:
            return {
                "messages": list(gateway.sent.texts.values()),
                "requests": gateway.sent.requests,
                "receipts_sent": gateway.sent.receipts_sent,
            }

    @app.put("/faults")
    def set_faults(body: SmsFaults) -> SmsFaults:
        gateway.faults = body
        return body

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
