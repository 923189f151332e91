"""Imports every feature's tables so that Base.metadata is complete (Alembic, tests)."""

from app.applications.models import Application, ApplicationEvaluation, Investigation
from app.audit.models import AuditEvent
from app.core.idempotency import IdempotencyRecord
from app.households.models import CreditRating, Household, Member
from app.loans.models import Loan
from app.regions.models import Region, RegionStatusChange
from app.roster.models import RosterEntry, RosterImport

__all__ = [
    "Application",
    "ApplicationEvaluation",
    "AuditEvent",
    "CreditRating",
    "Household",
    "IdempotencyRecord",
    "Investigation",
    "Loan",
    "Member",
    "Region",
    "RegionStatusChange",
    "RosterEntry",
    "RosterImport",
]
