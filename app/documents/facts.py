"""What a loan's documents say, read once: the loan, its household as the caller may see it,
its county, the local programme it was signed under, and its instalments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.auth import Principal
from app.core.identity import region_name
from app.core.masking import mask_name
from app.core.scoping import get_scoped
from app.core.settings import get_settings
from app.domain.eligibility import age_on
from app.domain.labels import labelled
from app.domain.policy import policy_by_code
from app.households.models import Household, Member
from app.loans.models import Instalment, Loan
from app.regions import service as regions


@dataclass(frozen=True, slots=True)
class Papers:
    loan: Loan
    bank: str
    county: str  # the county's name and code
    borrower: str  # as the caller may see it (Principal.sees_names)
    borrower_id_masked: str  # never in full, on paper either
    address: str
    # the household's members of age on the signing day, the borrower first: (name, relation)
    signers: tuple[tuple[str, str], ...]
    programme: str | None  # the local subsidy programme the loan was signed under (1.6)
    subsidise_overdue_days: bool  # the county's choice: subsidy through overdue days
    instalments: tuple[Instalment, ...]
    issued_on: date  # the county's business date


def read(session: Session, principal: Principal, loan_id: uuid.UUID) -> Papers:
    """The loan's papers (404 outside the caller's regions, as the loan's view)."""
    loan = get_scoped(session, Loan, loan_id, principal, "Loan")
    household = session.get(Household, loan.household_id)
    assert household is not None
    members = session.scalars(
        select(Member).where(Member.household_id == loan.household_id).order_by(Member.id)
    ).all()
    borrower = next(m for m in members if m.id == loan.borrower_member_id)
    policy = policy_by_code(loan.policy_version)
    of_age = [
        m
        for m in members
        if m.id != borrower.id and age_on(m.birth_date, loan.signed_on) >= policy.age_min
    ]
    shown = (lambda name: name) if principal.sees_names else mask_name
    programme = regions.local_programme(session, loan.region_code, loan.signed_on)
    return Papers(
        loan=loan,
        bank=get_settings().filing_bank,
        county=f"{region_name(loan.region_code) or ''}（{loan.region_code}）",
        borrower=shown(borrower.name),
        borrower_id_masked=borrower.id_masked,
        address=household.address,
        signers=tuple(
            (shown(m.name), labelled("Relation", m.relation)) for m in [borrower, *of_age]
        ),
        programme=programme.name if programme is not None else None,
        subsidise_overdue_days=regions.subsidises_overdue_days(session, loan.region_code),
        instalments=tuple(
            session.scalars(
                select(Instalment).where(Instalment.loan_id == loan.id).order_by(Instalment.number)
            )
        ),
        issued_on=clock.today(session, loan.region_code),
    )
