"""The facts eligibility is decided on, read from the database in one statement.

Submission is the service's hottest write, and each round trip to PostgreSQL costs more than
the rules themselves, so the household, its members with their roster entries (1.1), its
latest credit rating (1.5, 1.6), whether its roster household already has an outstanding
assistance loan (1.1) and the lending status (4.3) of the county it is booked in and of each
member's roster county come back together: one row per member.

Every decision about new lending — submission, decision, contract, disbursement, renewal —
reads its facts here, so that each asks the same question the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, ScalarSelect, Select, exists, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.batch.models import RegionBusinessDate
from app.core import clock
from app.core.db import CompiledStatement, slot
from app.core.problems import refuse_unless_passed
from app.domain import eligibility as rules
from app.domain.eligibility import RosterStatus, household_roster_status, person_roster_status
from app.domain.loan_status import LoanStatus
from app.households.models import CreditRating, Household, Member
from app.loans.models import Loan
from app.regions.models import Region
from app.regions.schemas import LendingStatus
from app.roster.models import RosterEntry


@dataclass(frozen=True, slots=True)
class MemberFacts:
    birth_date: date
    full_civil_capacity: bool | None
    has_labor_skills: bool | None
    roster_category: str | None
    roster_removed_date: date | None
    roster_household: str | None = None
    roster_region_code: str | None = None
    roster_region_suspended: bool = False
    name: str = ""  # as registered: what an answer shows is the caller's to mask

    def roster_status(self, on: date) -> RosterStatus:
        return person_roster_status(self.roster_category, self.roster_removed_date, on)


@dataclass(frozen=True, slots=True)
class RatingRow:
    grade: str
    credit_limit: Decimal
    valid_until: date
    major_bad_credit_record: bool


@dataclass(frozen=True, slots=True)
class HouseholdState:
    """A household as eligibility sees it."""

    household_id: uuid.UUID
    region_code: str
    members: dict[uuid.UUID, MemberFacts]
    rating: RatingRow | None
    has_outstanding_loan: bool
    region_suspended: bool
    household_number: str | None = None
    open_date: date | None = None  # the county's business date, if its calendar has started

    def roster_status(self, on: date) -> RosterStatus:
        return household_roster_status([m.roster_status(on) for m in self.members.values()])

    @property
    def business_date(self) -> date:
        """The county's business date (today's before its calendar starts)."""
        return clock.county_day(self.open_date)

    @property
    def roster_household(self) -> str | None:
        """1.1: the roster household this bank household stands for (its household number)."""
        if self.household_number is not None:
            return self.household_number
        return next((m.roster_household for m in self.members.values() if m.roster_household), None)

    def roster_county(self, applicant_id: uuid.UUID) -> tuple[str | None, bool]:
        """4.3: the borrower's roster county and whether it is suspended; any member's
        suspended roster county counts (the household is registered there)."""
        suspended = next(
            (m.roster_region_code for m in self.members.values() if m.roster_region_suspended),
            None,
        )
        if suspended is not None:
            return suspended, True
        applicant = self.members[applicant_id]
        return applicant.roster_region_code, False

    def household_facts(self, applicant_id: uuid.UUID, on: date) -> rules.HouseholdFacts:
        roster_region, roster_suspended = self.roster_county(applicant_id)
        return rules.HouseholdFacts(
            roster_status=self.roster_status(on),
            region_code=self.region_code,
            has_outstanding_assistance_loan=self.has_outstanding_loan,
            region_suspended=self.region_suspended,
            roster_region_code=roster_region,
            roster_region_suspended=roster_suspended,
        )

    def eligibility_input(
        self, applicant_id: uuid.UUID, on: date, loan: rules.LoanRequest
    ) -> rules.EligibilityInput:
        member = self.members[applicant_id]
        rating = self.rating
        return rules.EligibilityInput(
            application_date=on,
            applicant=rules.Applicant(
                birth_date=member.birth_date,
                full_civil_capacity=member.full_civil_capacity,
                major_bad_credit_record=bool(rating and rating.major_bad_credit_record),
                has_labor_skills=member.has_labor_skills,
            ),
            household=self.household_facts(applicant_id, on),
            rating=rules.RatingFacts(rating.grade, rating.credit_limit, rating.valid_until)
            if rating
            else None,
            loan=loan,
        )


HouseholdId = uuid.UUID | ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]


def roster_households(household_id: HouseholdId) -> Select[str]:
    """The roster households (household numbers) the bank household's members are listed in.
    (Aliased: the facts statement reads members and roster entries itself.)"""
    member, entry = aliased(Member), aliased(RosterEntry)
    return (
        select(entry.household_number)
        .join(member, member.id_hash == entry.id_hash)
        .where(member.household_id == household_id)
        .correlate_except(member, entry)
    )


def _household_number(household_id: HouseholdId) -> ScalarSelect[str | None]:
    household = aliased(Household)
    return (
        select(household.household_number)
        .where(household.id == household_id)
        .correlate_except(household)
        .scalar_subquery()
    )


def outstanding_loan(
    household_id: HouseholdId, excluding: ColumnElement[uuid.UUID] | None = None
) -> ColumnElement[bool]:
    """The household has an assistance loan outstanding (1.1: one at a time). The household is
    the roster household: a loan to any bank household standing for the same roster household
    counts (the database enforces it too, on `loans.roster_household`). Two EXISTS, each on
    its own partial unique index, rather than one OR that would scan the loans. `excluding`: a
    loan that does not count (the one a renewal replaces)."""
    outstanding: list[ColumnElement[bool]] = [Loan.status.in_(LoanStatus.outstanding())]
    if excluding is not None:
        outstanding.append(Loan.id != excluding)
    by_household = exists().where(*outstanding, Loan.household_id == household_id)
    by_roster_household = exists().where(
        *outstanding,
        Loan.roster_household.in_(
            roster_households(household_id).union(select(_household_number(household_id)))
        ),
    )
    return or_(by_household, by_roster_household)


def _facts_statement(*, excluding_loan: bool) -> CompiledStatement:
    outstanding = outstanding_loan(Household.id, slot("excluding_loan") if excluding_loan else None)
    rating = (
        select(
            CreditRating.grade,
            CreditRating.credit_limit,
            CreditRating.valid_until,
            CreditRating.major_bad_credit_record,
        )
        .where(CreditRating.household_id == Household.id)
        .order_by(CreditRating.created_at.desc(), CreditRating.id)
        .limit(1)
        .lateral("rating")
    )
    lending_status = (
        select(Region.lending_status).where(Region.code == Household.region_code)
    ).scalar_subquery()
    open_date = (
        select(RegionBusinessDate.open_date).where(
            RegionBusinessDate.region_code == Household.region_code
        )
    ).scalar_subquery()
    roster_region = aliased(Region)
    return CompiledStatement(
        select(
            Household.region_code,
            Household.household_number,
            lending_status.label("lending_status"),
            open_date.label("open_date"),
            outstanding.label("outstanding"),
            Member.id,
            Member.name,
            Member.birth_date,
            Member.full_civil_capacity,
            Member.has_labor_skills,
            RosterEntry.category,
            RosterEntry.removed_date,
            RosterEntry.household_number.label("roster_household"),
            RosterEntry.region_code.label("roster_region_code"),
            roster_region.lending_status.label("roster_lending_status"),
            rating.c.grade,
            rating.c.credit_limit,
            rating.c.valid_until,
            rating.c.major_bad_credit_record,
        )
        .select_from(Household)
        .outerjoin(Member, Member.household_id == Household.id)
        .outerjoin(RosterEntry, RosterEntry.id_hash == Member.id_hash)
        .outerjoin(roster_region, roster_region.code == RosterEntry.region_code)
        .outerjoin(rating, true())
        .where(Household.id == slot("household_id"))
    )


_FACTS = _facts_statement(excluding_loan=False)
_FACTS_EXCLUDING_LOAN = _facts_statement(excluding_loan=True)


def load(
    session: Session, household_id: uuid.UUID, *, excluding_loan: uuid.UUID | None = None
) -> HouseholdState | None:
    """The household's eligibility facts, or None if there is no such household.
    `excluding_loan` is the loan a renewal replaces (it does not count as outstanding)."""
    if excluding_loan is None:
        rows = _FACTS.execute(session, {"household_id": household_id}).all()
    else:
        rows = _FACTS_EXCLUDING_LOAN.execute(
            session, {"household_id": household_id, "excluding_loan": excluding_loan}
        ).all()
    if not rows:
        return None
    first = rows[0]
    return HouseholdState(
        household_id=household_id,
        region_code=first.region_code,
        members={
            row.id: MemberFacts(
                birth_date=row.birth_date,
                full_civil_capacity=row.full_civil_capacity,
                has_labor_skills=row.has_labor_skills,
                roster_category=row.category,
                roster_removed_date=row.removed_date,
                roster_household=row.roster_household,
                roster_region_code=row.roster_region_code,
                roster_region_suspended=row.roster_lending_status == LendingStatus.suspended,
                name=row.name,
            )
            for row in rows
            if row.id is not None
        },
        rating=RatingRow(
            first.grade, first.credit_limit, first.valid_until, first.major_bad_credit_record
        )
        if first.grade is not None
        else None,
        has_outstanding_loan=bool(first.outstanding),
        region_suspended=first.lending_status == LendingStatus.suspended,
        household_number=first.household_number,
        open_date=first.open_date,
    )


def refuse_if_suspended(state: HouseholdState, applicant_id: uuid.UUID, on: date) -> None:
    """4.3: no new lending — application, decision, contract, disbursement — where the county
    the household is booked in or the borrower's roster county is suspended."""
    refuse_unless_passed(
        rules.check_region(state.household_facts(applicant_id, on)), slug="region-suspended"
    )
