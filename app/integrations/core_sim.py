"""A stand-in for the bank's core banking system, run as its own process (`bangfu core-sim`).

It takes disbursement instructions (deduplicated by their Idempotency-Key), keeps a ledger of
the transfers it made, and calls Bangfu back with the confirmation. Faults can be injected:
error rate, latency, timeouts (the transfer is made but the answer comes too late) and
duplicate callbacks. `GET /transfers` is the simulator's own ledger.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.core import clock
from app.core.auth import Role, issue_token
from app.integrations.callbacks import call_back


class Faults(BaseModel):
    error_rate: float = Field(default=0, ge=0, le=1)
    timeout_rate: float = Field(default=0, ge=0, le=1)
    timeout_seconds: float = Field(default=3, ge=0, le=60)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    duplicate_callback_rate: float = Field(default=0, ge=0, le=1)
    value_date: date | None = None


class Instruction(BaseModel):
    instruction_id: str
    loan_id: str
    amount: str
    currency: str
    account: str
    callback_url: str


@dataclass
class Ledger:
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    callbacks_sent: int = 0


class _Bank:
    """The simulated core banking system: its ledger, its faults, and the confirmations it
    sends back (at least once; twice at `duplicate_callback_rate`)."""

    def __init__(self, faults: Faults | None, seed: int | None) -> None:
        self.faults = faults or Faults()
        self.ledger = Ledger()
        self.rng = random.Random(seed)  # noqa: S311 (fault injection, not secrecy)
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.token = issue_token("core-banking-sim", [Role.core_banking], ["*"])

    def transfer(self, instruction: Instruction, key: str) -> JSONResponse:
        f = self.faults
        with self.ledger.lock:
            self.ledger.requests += 1
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        if self.rng.random() < f.error_rate:
            return JSONResponse({"error": "injected failure"}, status_code=503)
        with self.ledger.lock:
            existing = self.ledger.transfers.get(key)
            if existing is None:
                existing = {
                    "transfer_id": f"CBS{uuid.uuid4().hex[:16].upper()}",
                    "instruction_id": instruction.instruction_id,
                    "amount": instruction.amount,
                    "key": key,
                    "callback_url": instruction.callback_url,
                }
                self.ledger.transfers[key] = existing
                self.pool.submit(self.confirm, existing, instruction)
        if self.rng.random() < f.timeout_rate:
            time.sleep(f.timeout_seconds)  # the transfer is made; the answer comes too late
        return JSONResponse(
            {"transfer_id": existing["transfer_id"], "status": "accepted"}, status_code=202
        )

    def confirm(self, transfer: dict[str, Any], instruction: Instruction) -> None:
        f = self.faults
        body = {
            "status": "succeeded",
            "core_transaction_id": transfer["transfer_id"],
            "value_date": (f.value_date or clock.today()).isoformat(),
        }
        times = 2 if self.rng.random() < f.duplicate_callback_rate else 1
        with httpx.Client(timeout=10) as client:
            for _ in range(times):
                self._deliver(client, transfer, instruction.callback_url, body)

    def _deliver(
        self, client: httpx.Client, transfer: dict[str, Any], url: str, body: dict[str, Any]
    ) -> None:
        # each failure kept on the transfer as it happens: `bangfu demo` explains a lost
        # confirmation while the retries go on
        status, _ = call_back(
            client, url, body, self.token, lambda error: transfer.update(callback_error=error)
        )
        if status is not None:
            with self.ledger.lock:
                self.ledger.callbacks_sent += 1
                transfer["callback_status"] = status


def create_sim(faults: Faults | None = None, seed: int | None = None) -> FastAPI:
    app = FastAPI(title="Core banking simulator")
    bank = _Bank(faults, seed)

    @app.post("/transfers", status_code=202)
    def transfer(
        instruction: Instruction, key: Annotated[str, Header(alias="Idempotency-Key")]
    ) -> JSONResponse:
        return bank.transfer(instruction, key)

    @app.get("/transfers")
    def transfers() -> dict[str, Any]:
        with bank.ledger.lock:
            return {
                "transfers": list(bank.ledger.transfers.values()),
                "requests": bank.ledger.requests,
                "callbacks_sent": bank.ledger.callbacks_sent,
            }

    @app.put("/faults")
    def set_faults(body: Faults) -> Faults:
        bank.faults = body
        return body

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
