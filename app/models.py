"""Imports every feature's tables so that Base.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.core.idempotency import IdempotencyRecord

__all__ = ["AuditEvent", "IdempotencyRecord"]
