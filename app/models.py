"""Imports every feature's tables so that Base.metadata is complete (Alembic, tests)."""

from app.applications.models import Application, ApplicationEvaluation, Investigation
from app.applications.officers import OfficerReassignment
from app.audit.models import AuditEvent
from app.batch.models import RegionBusinessDate
from app.collections.models import CollectionAction, CollectionCase, PromiseToPay, WriteOff
from app.console.models import ConsoleSession
from app.core.idempotency import IdempotencyRecord
from app.decisions.models import Decision
from app.disbursements.models import DisbursementAction
from app.evidence.models import Attachment
from app.exemptions.models import CatalogueEntry, ExemptionCase
from app.households.models import CreditRating, Household, Member
from app.integrations.models import OutboxMessage
from app.jobs.models import Job
from app.legacy.models import LprRate
from app.loans.models import (
    Accrual,
    Disbursement,
    Instalment,
    Loan,
    LoanRecovery,
    Repayment,
    RiskClassChange,
)
from app.messages.models import Message, MessagePreference, MessageReceipt, MessageRun
from app.monitoring.models import MonitoringVisit
from app.regions.models import Region, RegionDailyStat, RegionStatusChange, SubsidyProgramme
from app.renewals.models import ChainRequest
from app.reports.models import LoanMonthTotal, MonitoringReport, SubsidyClaim, SubsidyClaimLine
from app.roster.models import RosterEntry, RosterImport
from app.servicing.models import ReversalCase

__all__ = [
    "Accrual",
    "Application",
    "ApplicationEvaluation",
    "Attachment",
    "AuditEvent",
    "CatalogueEntry",
    "ChainRequest",
    "CollectionAction",
    "CollectionCase",
    "ConsoleSession",
    "CreditRating",
    "Decision",
    "Disbursement",
    "DisbursementAction",
    "ExemptionCase",
    "Household",
    "IdempotencyRecord",
    "Instalment",
    "Investigation",
    "Job",
    "Loan",
    "LoanMonthTotal",
    "LoanRecovery",
    "LprRate",
    "Member",
    "Message",
    "MessagePreference",
    "MessageReceipt",
    "MessageRun",
    "MonitoringReport",
    "MonitoringVisit",
    "OfficerReassignment",
    "OutboxMessage",
    "PromiseToPay",
    "Region",
    "RegionBusinessDate",
    "RegionDailyStat",
    "RegionStatusChange",
    "Repayment",
    "ReversalCase",
    "RiskClassChange",
    "RosterEntry",
    "RosterImport",
    "SubsidyClaim",
    "SubsidyClaimLine",
    "SubsidyProgramme",
    "WriteOff",
]
