"""Routes mounted only in the test server, to exercise the foundation's mechanisms
(idempotency, unit of work, errors) in isolation from any business feature."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from app.audit import service as audit
from app.core.auth import AnyRole, Principal, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said
from app.core.problems import Problem


class WriteIn(BaseModel):
    note: str = Field(max_length=200)
    region_code: str = Field(default="520102", pattern=r"^\d{2,12}$")
    sleep_seconds: float = Field(default=0, ge=0, le=5)
    fail_after_write: bool = False


def add_test_routes(app: FastAPI) -> None:
    @app.post("/_test/writes", status_code=201, include_in_schema=False)
    def write(body: WriteIn, session: DbSession, principal: AnyRole) -> dict[str, str]:
        audit.record(
            session,
            principal,
            "test.write",
            "test",
            body.note,
            region_code=body.region_code,
            after={"note": body.note},
        )
        session.flush()
        time.sleep(body.sleep_seconds)
        if body.fail_after_write:
            raise Problem(409, Said("写入后被拒绝", "refused after writing"), slug="conflict")
        return {"note": body.note, "written_at": str(time.time())}

    @app.get("/_test/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("postgresql://bangfu:hunter2@db/secret 520102199001011234 failed")

    @app.get("/_test/regional/{region_code}", include_in_schema=False)
    def regional(
        region_code: str,
        principal: Annotated[Principal, Depends(require(Role.loan_officer))],
    ) -> dict[str, str]:
        principal.ensure_region(region_code, "Household")
        return {"region_code": region_code}
