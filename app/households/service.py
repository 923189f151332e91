"""Households, members (identifiers encrypted at rest) and credit ratings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import clock
from app.core.auth import Principal
from app.core.crypto import ACCOUNT, ID_NUMBER, PHONE, get_cipher
from app.core.i18n import Said, said_of
from app.core.identity import InvalidIdNumberError, parse_id_number
from app.core.masking import mask_account, mask_id_number, mask_name, mask_phone
from app.core.problems import Problem, conflict, not_found
from app.core.scoping import get_scoped, readable, within
from app.domain import rating as scorecard
from app.domain.eligibility import RosterStatus, household_roster_status, person_roster_status
from app.domain.rules import rule
from app.households import schemas
from app.households.models import CreditRating, Household, Member
from app.roster.models import RosterEntry


def _ensure_may_write(principal: Principal, region_code: str) -> None:
    if not principal.sees_region(region_code):
        raise Problem(
            403,
            Said(
                "该户所在地区不在您的管辖范围内", "The household's region is outside your regions"
            ),
            slug="forbidden",
        )


def create_household(
    session: Session, principal: Principal, body: schemas.HouseholdIn
) -> Household:
    _ensure_may_write(principal, body.region_code)
    cipher = get_cipher()
    today = clock.today(session, body.region_code)
    members: list[Member] = []
    for index, m in enumerate(body.members):
        try:
            person = parse_id_number(m.id_number, today)
        except InvalidIdNumberError as exc:
            raise Problem(
                422,
                Said(f"members[{index}].id_number：", f"members[{index}].id_number: ")
                + said_of(exc),
                slug="validation-error",
            ) from exc
        members.append(
            Member(
                name=m.name,
                relation=m.relation.value,
                id_hash=cipher.blind_index(person.value, ID_NUMBER),
                id_encrypted=cipher.encrypt(person.value, ID_NUMBER),
                id_masked=mask_id_number(person.value),
                phone_encrypted=cipher.encrypt(m.phone, PHONE) if m.phone else None,
                phone_masked=mask_phone(m.phone) if m.phone else None,
                birth_date=person.birth_date,
                full_civil_capacity=m.full_civil_capacity,
                has_labor_skills=m.has_labor_skills,
            )
        )
    hashes = [m.id_hash for m in members]
    if len(set(hashes)) != len(hashes):
        raise Problem(
            422,
            Said("成员中有重复的身份证号", "The same ID number appears twice among the members"),
            slug="validation-error",
        )
    if session.scalar(select(Member.id).where(Member.id_hash.in_(hashes)).limit(1)):
        raise conflict(
            Said("有成员已登记在其他农户中", "A member is already registered in another household"),
            slug="member-already-registered",
        )
    household_number = _roster_household(session, hashes, body.household_number)
    household = Household(
        id=uuid.uuid4(),
        region_code=body.region_code,
        address=body.address,
        household_number=household_number,
        account_encrypted=cipher.encrypt(body.disbursement_account, ACCOUNT),
        account_masked=mask_account(body.disbursement_account),
        created_by=principal.subject,
        members=members,
    )
    try:
        with session.begin_nested():
            session.add(household)
    except IntegrityError as exc:  # a concurrent registration of the same roster household
        if "uq_households_roster_household" in str(exc.orig):
            raise _roster_household_taken(household_number) from exc
        raise
    audit.record(
        session,
        principal,
        "household.create",
        "household",
        household.id,
        region_code=household.region_code,
        after={"members": [m.id_masked for m in members], "household_number": household_number},
    )
    return household


def _roster_household_taken(number: str | None) -> Problem:
    return conflict(
        Said(
            f"名单户 {number} 已登记为农户：户借、户用、户还（1.1）",
            f"Roster household {number} is already registered as a household: the household"
            " borrows as one (1.1, 户借户用户还)",
        ),
        [
            rule(
                "one_household_per_roster_household",
                "1.1",
                False,
                f"名单户 {number} 已经登记",
                f"Roster household {number} is already registered",
            )
        ],
        slug="roster-household-already-registered",
    )


def _roster_household(session: Session, hashes: list[bytes], given: str | None) -> str | None:
    """1.1: the roster household the members are listed in. Members of two roster households,
    a number that contradicts the roster, or a roster household already registered (by its
    number, or through a member listed in it) are refused: one bank household per roster
    household, so that a household cannot borrow twice through two registrations."""
    listed = set(
        session.scalars(select(RosterEntry.household_number).where(RosterEntry.id_hash.in_(hashes)))
    )
    if len(listed) > 1 or (given is not None and listed and given not in listed):
        numbers = sorted(listed | ({given} if given else set()))
        raise conflict(
            Said(
                f"成员分属不同的名单户（{'、'.join(numbers)}）；银行登记的一户即名单中的一户（1.1）",
                f"The members are listed in different roster households ({', '.join(numbers)});"
                " a bank household is one roster household (1.1)",
            ),
            [
                rule(
                    "one_household_per_roster_household",
                    "1.1",
                    False,
                    "成员分属不同的名单户",
                    "The members belong to different roster households",
                )
            ],
            slug="members-in-different-roster-households",
        )
    number = given or next(iter(listed), None)
    if number is None:
        return None
    registered = session.scalar(
        select(Household.id).where(Household.household_number == number).limit(1)
    ) or session.scalar(
        select(Member.id)
        .join(RosterEntry, RosterEntry.id_hash == Member.id_hash)
        .where(RosterEntry.household_number == number)
        .limit(1)
    )
    if registered is not None:
        raise _roster_household_taken(number)
    return number


def record_member_facts(
    session: Session,
    principal: Principal,
    household: Household,
    member_id: uuid.UUID,
    body: schemas.MemberFactsIn,
) -> Member:
    member = next((m for m in household.members if m.id == member_id), None)
    if member is None:
        raise not_found("Member")
    before = {
        "full_civil_capacity": member.full_civil_capacity,
        "has_labor_skills": member.has_labor_skills,
    }
    if body.full_civil_capacity is not None:
        member.full_civil_capacity = body.full_civil_capacity
    if body.has_labor_skills is not None:
        member.has_labor_skills = body.has_labor_skills
    session.flush()
    audit.record(
        session,
        principal,
        "household.member_facts",
        "household",
        household.id,
        region_code=household.region_code,
        before=before,
        after={
            "member_id": str(member.id),
            "full_civil_capacity": member.full_civil_capacity,
            "has_labor_skills": member.has_labor_skills,
            "reason": body.reason,
        },
    )
    return member


def get_household(session: Session, principal: Principal, household_id: uuid.UUID) -> Household:
    return get_scoped(session, Household, household_id, principal, "Household")


def member_statuses(
    session: Session, household: Household, on: date
) -> dict[uuid.UUID, RosterStatus]:
    """Each member's roster status on `on`, from the imported roster (never typed in)."""
    by_hash = {m.id_hash: m.id for m in household.members}
    entries = session.execute(
        select(RosterEntry.id_hash, RosterEntry.category, RosterEntry.removed_date).where(
            RosterEntry.id_hash.in_(list(by_hash))
        )
    ).all()
    found = {e.id_hash: person_roster_status(e.category, e.removed_date, on) for e in entries}
    return {member_id: found.get(h, RosterStatus.not_listed) for h, member_id in by_hash.items()}


def borrower_names(
    session: Session, principal: Principal, member_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names beside loans and applications, in one read: in full, or masked for the roles
    that need no names (Principal.sees_names)."""
    wanted = set(member_ids)
    if not wanted:
        return {}
    rows = session.execute(select(Member.id, Member.name).where(Member.id.in_(wanted)))
    return {member_id: name_as_shown(principal, name) for member_id, name in rows}


def name_as_shown(principal: Principal, name: str) -> str:
    """A borrower's name as this caller sees it: in full, or masked (Principal.sees_names)."""
    return name if principal.sees_names else mask_name(name)


def to_out(session: Session, household: Household) -> schemas.HouseholdOut:
    statuses = member_statuses(session, household, clock.today(session, household.region_code))
    return schemas.HouseholdOut(
        id=household.id,
        region_code=household.region_code,
        address=household.address,
        household_number=household.household_number,
        disbursement_account=household.account_masked,
        roster_status=household_roster_status(list(statuses.values())),
        members=[
            schemas.MemberOut(
                id=m.id,
                name=m.name,
                relation=m.relation,
                id_number=m.id_masked,
                phone=m.phone_masked,
                birth_date=m.birth_date,
                full_civil_capacity=m.full_civil_capacity,
                has_labor_skills=m.has_labor_skills,
                roster_status=statuses[m.id],
            )
            for m in household.members
        ],
        created_at=household.created_at,
    )


def rate_household(
    session: Session, principal: Principal, household: Household, body: schemas.RatingIn
) -> CreditRating:
    inputs = scorecard.RatingInputs(**body.model_dump(exclude={"note"}))
    result = scorecard.rate(inputs, clock.today(session, household.region_code))
    row = CreditRating(
        id=uuid.uuid4(),
        household_id=household.id,
        scorecard_version=result.scorecard_version,
        inputs=body.model_dump(mode="json", exclude={"note"}),
        score=result.score,
        grade=result.grade,
        credit_limit=result.credit_limit,
        valid_from=result.valid_from,
        valid_until=result.valid_until,
        major_bad_credit_record=body.bureau_major_bad_record,
        reasons=[asdict(r) for r in result.reasons],
        note=body.note,
        rated_by=principal.subject,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "household.rate",
        "credit_rating",
        row.id,
        region_code=household.region_code,
        after={
            "household_id": str(household.id),
            "grade": row.grade,
            "score": row.score,
            "credit_limit": str(row.credit_limit),
        },
    )
    return row


def ratings(session: Session, household_id: uuid.UUID) -> list[CreditRating]:
    """Every rating of the household, newest first: ratings are kept, never overwritten."""
    return list(
        session.scalars(
            select(CreditRating)
            .where(CreditRating.household_id == household_id)
            .order_by(CreditRating.created_at.desc(), CreditRating.id)
        )
    )


def latest_rating(session: Session, household_id: uuid.UUID) -> CreditRating | None:
    return session.scalar(
        select(CreditRating)
        .where(CreditRating.household_id == household_id)
        .order_by(CreditRating.created_at.desc(), CreditRating.id)
        .limit(1)
    )


def households_matching(
    *, id_number: str | None, name: str | None, household_number: str | None
) -> Select[Any] | None:
    """The ids of households with a member of this ID number (exact, through its blind index:
    the number itself is never searched or stored), a member whose name begins so, or this
    roster household number; None when nothing is asked. A malformed ID number is 422."""
    query = select(Household.id)
    if id_number is None and name is None and household_number is None:
        return None
    if id_number is not None:
        try:
            number = parse_id_number(id_number, clock.today()).value
        except InvalidIdNumberError as exc:
            raise Problem(
                422, Said("id_number：", "id_number: ") + said_of(exc), slug="validation-error"
            ) from exc
        query = query.where(
            Household.id.in_(
                select(Member.household_id).where(
                    Member.id_hash == get_cipher().blind_index(number, ID_NUMBER)
                )
            )
        )
    if name is not None:
        query = query.where(
            Household.id.in_(
                select(Member.household_id).where(Member.name.startswith(name, autoescape=True))
            )
        )
    if household_number is not None:
        query = query.where(Household.household_number == household_number)
    return query


def search(
    session: Session,
    principal: Principal,
    *,
    id_number: str | None,
    name: str | None,
    household_number: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Household], int]:
    """Households within the caller's regions: by a member's ID number (exact, through its
    blind index: the number itself is never searched or stored), a member's name (its
    beginning), the roster household number (exact) or a region prefix; newest first."""
    query = select(Household)
    matching = households_matching(
        id_number=id_number, name=name, household_number=household_number
    )
    if matching is not None:
        query = query.where(Household.id.in_(matching))
    if region is not None:
        query = query.where(within(Household.region_code, region))
    query = readable(query, principal, Household.region_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(
        query.order_by(Household.created_at.desc(), Household.id).limit(limit).offset(offset)
    )
    return list(found), int(total)
