from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.domain.loan_status import LoanStatus, sql_list

RATE = Numeric(12, 10)
MONEY = Numeric(14, 2)
MARKUP = Numeric(6, 4)

# A household has at most one outstanding loan at a time (clause 1.1), enforced by partial
# unique indexes built from the same group.
OUTSTANDING = f"status IN {sql_list(LoanStatus.outstanding())}"


class DisbursementStatus(StrEnum):
    requested = "requested"  # the instruction is with core banking, no answer yet
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"  # withdrawn before an answer (maker-checker)

    @classmethod
    def live(cls) -> tuple[DisbursementStatus, ...]:
        """At most one per loan: one payment out in flight or made."""
        return (cls.requested, cls.succeeded)


LIVE_DISBURSEMENT = f"status IN {sql_list(DisbursementStatus.live())}"


class Loan(Base):
    """A signed assistance loan. Its policy version, rate and subsidy terms are fixed for life."""

    __tablename__ = "loans"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("applications.id"), unique=True
    )
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    borrower_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(20), nullable=False)
    principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    repayment_method: Mapped[str] = mapped_column(String(30), nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    large_production: Mapped[bool] = mapped_column(Boolean, nullable=False)
    central_subsidy_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    local_subsidy_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    subsidised_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # The local programme's own cap on the principal it subsidises (1.6), at most the above.
    local_subsidised_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # Penalty markups fixed at signing (银发〔2003〕251号): later settings never reprice a loan.
    penalty_markup: Mapped[Decimal] = mapped_column(MARKUP, nullable=False)
    misuse_markup: Mapped[Decimal] = mapped_column(MARKUP, nullable=False)
    # 1.1: the roster household (its household number) the loan is lent to; one outstanding
    # loan per roster household, enforced by a partial unique index.
    roster_household: Mapped[str | None] = mapped_column(String(40))
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    contracted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # The loan officer who looks after it: the application's, until a reassignment.
    officer: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    # Servicing state, kept by disbursement, repayments and the end-of-day batch.
    value_date: Mapped[date | None] = mapped_column(Date)
    maturity_date: Mapped[date | None] = mapped_column(Date)
    # the day it left the book: repaid, renewed, or written off (a written-off loan keeps that
    # date when its last recovery closes it)
    closed_on: Mapped[date | None] = mapped_column(Date)
    principal_outstanding: Mapped[Decimal] = mapped_column(
        MONEY, nullable=False, server_default="0"
    )
    current_instalment: Mapped[int | None] = mapped_column(Integer)
    current_due_date: Mapped[date | None] = mapped_column(Date)
    overdue_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    overdue_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    oldest_overdue_due: Mapped[date | None] = mapped_column(Date)
    penalty_outstanding: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    interest_accrued: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    central_accrued: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    local_accrued: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    penalty_accrued: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    days_past_due: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    risk_class: Mapped[str] = mapped_column(String(20), nullable=False, server_default="normal")
    risk_class_override: Mapped[str | None] = mapped_column(String(20))
    # Restructuring (3.1 and the 2023 classification rules): the floor (the class before the
    # change, at least special mention) holds through the observation period; a loan that falls
    # overdue during it stays restructured.
    restructured_on: Mapped[date | None] = mapped_column(Date)
    restructure_floor: Mapped[str | None] = mapped_column(String(20))
    observation_start: Mapped[date | None] = mapped_column(Date)
    observation_end: Mapped[date | None] = mapped_column(Date)
    observation_breached: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # 1.6, 3.3: no subsidy from a confirmed misuse finding on (never resumed).
    subsidy_forfeited_from: Mapped[date | None] = mapped_column(Date)
    # 2.3, 5.2: a legacy loan's extension period is governed by the 2026 terms: instalments due
    # after `extension_from` (the original maturity) take these subsidy terms.
    extension_from: Mapped[date | None] = mapped_column(Date)
    extension_policy_version: Mapped[str | None] = mapped_column(String(20))
    extension_central_rate: Mapped[Decimal | None] = mapped_column(RATE)
    extension_local_rate: Mapped[Decimal | None] = mapped_column(RATE)
    extension_subsidised_principal: Mapped[Decimal | None] = mapped_column(MONEY)
    extension_local_subsidised_principal: Mapped[Decimal | None] = mapped_column(MONEY)
    # Renewal and extension (2.3): the chain's root loan, and how many of its once are used.
    chain_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    renewed_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("loans.id"))
    chain_actions: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    extension_months: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    # Post-loan monitoring (4.2).
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    misuse_since: Mapped[date | None] = mapped_column(Date)
    misuse_finding: Mapped[str | None] = mapped_column(String(40))
    misuse_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # Contracts brought over from the bank's earlier system (脱贫人口小额信贷).
    external_ref: Mapped[str | None] = mapped_column(String(60), unique=True)
    # 合同编号: county, year and sequence, assigned at signing (contract_numbers.next_number)
    contract_number: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    # The document templates it prints from (domain.documents.TEMPLATES), pinned at signing.
    document_template: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        Index(
            "uq_loans_one_outstanding_per_household",
            "household_id",
            unique=True,
            postgresql_where=text(OUTSTANDING),
        ),
        Index(
            "uq_loans_one_outstanding_per_roster_household",
            "roster_household",
            unique=True,
            postgresql_where=text(f"{OUTSTANDING} AND roster_household IS NOT NULL"),
        ),
        Index(None, "region_code", "status"),
        # A county's loans signed on a day (the subsidy notice of each, app/messages).
        Index("ix_loans_region_signed_on", "region_code", "signed_on"),
        # A county's loans disbursed or closed in a period (the claim form counts them; a claim
        # reads the closed ones' last month-end totals; the monthly report).
        Index("ix_loans_region_value_date", "region_code", "value_date"),
        Index(
            "ix_loans_region_closed_on",
            "region_code",
            "closed_on",
            postgresql_where=text("closed_on IS NOT NULL"),
        ),
        # The national list by balance; the batch never writes the balance (its update is HOT).
        Index("ix_loans_principal_outstanding", "principal_outstanding", "id"),
        # A claim form's line reads its loan from this index alone; the batch writes none of
        # these columns (0039).
        Index(
            "ix_loans_id_terms",
            "id",
            postgresql_include=[
                "borrower_member_id",
                "household_id",
                "contract_number",
                "policy_version",
                "principal",
                "value_date",
                "term_months",
                "annual_rate",
            ],
        ),
    )


class LoanCount(Base):
    """A county's loans of a status as of its last close (migration 0031): the batch folds the
    county's `LoanCountChange`s into it when it closes the county's day; the count now is the two
    together (app/loans/counts.py)."""

    __tablename__ = "loan_counts"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    loans: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LoanCountChange(Base):
    """A loan made (+1), or moved out of (-1) and into (+1) a status or county: written by a
    trigger on loans (migration 0031), so that no code path can miss one."""

    __tablename__ = "loan_count_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    change: Mapped[int] = mapped_column(Integer, nullable=False)


class Instalment(Base):
    """One period of a loan's schedule, fixed from the disbursement's value date.

    Scheduled interest (interest_due + prepaid_interest) accrues evenly from accrual_start to
    due_date on top of what had accrued before it (after a prepayment re-amortises the period,
    accrual_start moves to the value date). central_share and local_share are the subsidy
    shares of that interest, accrued the same way."""

    __tablename__ = "instalments"

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    principal_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    interest_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    prepaid_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)
    central_share: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_share: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    accrual_start: Mapped[date] = mapped_column(Date, nullable=False)
    accrued_interest_before: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)
    accrued_central_before: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)
    accrued_local_before: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)
    principal_paid: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)
    interest_paid: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=0)


class Disbursement(Base):
    """A request to pay the loan out, its instruction to core banking (the outbox message keyed
    by `instruction_key`) and core banking's answer."""

    __tablename__ = "disbursements"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # requested → succeeded | failed | cancelled (DisbursementStatus)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    core_transaction_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    value_date: Mapped[date | None] = mapped_column(Date)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    # An answer core banking sent after the disbursement was cancelled: refused, and kept here
    # for the reconciliation team (the money may have left the bank).
    reconciliation: Mapped[str | None] = mapped_column(String(40))
    reported_transaction_id: Mapped[str | None] = mapped_column(String(100))
    reported_value_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        Index(
            "uq_disbursements_one_live_per_loan",
            "loan_id",
            unique=True,
            postgresql_where=text(LIVE_DISBURSEMENT),
        ),
    )


# The loan's ledger: repayments and their reversals, accruals, class history. Entries are
# only ever added (STYLE §4); app/loans/lifecycle/ writes them.


class Repayment(Base):
    """A repayment posted by core banking ('posting'), or its reversal (冲正, 'reversal'): a new
    entry with the posting's amounts negated that points to it, never an edit. Each core
    transaction id is entered once, so a repeat is a no-op; a posting is reversed at most once.

    `effect` keeps what the posting changed on the schedule (the instalments' fields before
    it), so that its reversal restores them exactly; it is null on reversals."""

    __tablename__ = "repayments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    core_transaction_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    overdue_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    overdue_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    interest_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    principal_due: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    prepaid_principal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    prepayment_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    posted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, server_default="posting")
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repayments.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(
            "(kind = 'posting' AND reverses_id IS NULL)"
            " OR (kind = 'reversal' AND reverses_id IS NOT NULL)",
            name="reversal_points_to_posting",
        ),
    )


class Accrual(Base):
    """Interest recognised per loan per business date: the daily batch's rows ('daily'), the
    true-up when a loan is paid off between two batches ('payoff'), the reversal of subsidy
    accrued after a confirmed misuse ('reversal'), and the correction when a repayment is
    reversed ('correction'). Penalty is never subsidised. Rows are never edited: a correction is
    a new row (several corrections on one day add up in it)."""

    __tablename__ = "accruals"

    business_date: Mapped[date] = mapped_column(Date)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(10), default="daily")
    region_code: Mapped[str] = mapped_column(String(12))
    interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    central_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    local_subsidy: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    borrower_interest: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    __table_args__ = (
        # One index for the key and for every read (a county's rows by date: the batch's
        # clean-up, a correction, the claims' adjustments); a loan never changes county.
        PrimaryKeyConstraint("region_code", "business_date", "loan_id", "kind"),
        # Pay-off true-ups and reversals are few; claims list them as adjustments.
        Index(
            "ix_accruals_adjustments",
            "region_code",
            "business_date",
            postgresql_where=text("kind <> 'daily'"),
        ),
    )


class RiskClassChange(Base):
    __tablename__ = "risk_class_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    from_class: Mapped[str] = mapped_column(String(20), nullable=False)
    to_class: Mapped[str] = mapped_column(String(20), nullable=False)
    days_past_due: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)


class LoanRecovery(Base):
    """Money recovered on a written-off loan (账销案存), posted by core banking once per
    transaction id; never edited (a mistake is put right by core banking's own correction)."""

    __tablename__ = "loan_recoveries"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id"), index=True)
    write_off_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("write_offs.id"))
    core_transaction_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    posted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class ContractSequence(Base):
    """The last contract number given in a county and year (合同编号, issue 28): a signing
    takes the next under this row's lock, so numbers are unique and, as a rolled-back signing
    rolls its number back too, without gaps."""

    __tablename__ = "contract_sequences"

    county: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)
