from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    region_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None = Field(description="the X-Request-ID the response carried")


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None
