"""Eligibility, clause by clause (1.1, 1.2, 1.3, 1.5, 1.8, 1.9, 4.3), with the boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.eligibility import (
    Applicant,
    EligibilityInput,
    HouseholdFacts,
    LoanRequest,
    RatingFacts,
    RosterStatus,
    age_on,
    evaluate,
)
from app.domain.policy import REFUSED_PURPOSES, Purpose

APP_DATE = date(2026, 6, 1)

BASE = EligibilityInput(
    application_date=APP_DATE,
    applicant=Applicant(date(1980, 5, 10), True, False, True),
    household=HouseholdFacts(RosterStatus.monitoring_target, "520102", False, False),
    rating=RatingFacts("A", Decimal("100000.00"), date(2027, 5, 31)),
    loan=LoanRequest(Decimal("50000.00"), 24, Purpose.livestock, False, False),
)


def verdict(facts: EligibilityInput, code: str) -> tuple[bool, str]:
    result = evaluate(facts)
    (matching,) = [r for r in result.rules if r.code == code]
    return matching.passed, matching.clause


def test_the_base_case_is_eligible_under_the_2026_terms() -> None:
    result = evaluate(BASE)
    assert result.eligible
    assert result.policy_version == "ASSIST_2026"
    assert all(r.message_zh and r.message_en for r in result.rules)


def test_every_rule_is_evaluated_without_short_circuit() -> None:
    hopeless = EligibilityInput(
        application_date=APP_DATE,
        applicant=Applicant(date(2010, 1, 1), False, True, False),
        household=HouseholdFacts(RosterStatus.not_listed, "520102", True, True),
        rating=None,
        loan=LoanRequest(Decimal("200000"), 48, Purpose.marriage, False, True),
    )
    result = evaluate(hopeless)
    assert not result.eligible
    assert len(result.rules) == 13
    assert all(not r.passed for r in result.rules)
    assert {r.clause for r in result.rules} == {"1.1", "1.2", "1.3", "1.5", "1.8", "1.9", "4.3"}


@pytest.mark.parametrize(
    ("status", "passes"),
    [
        (RosterStatus.monitoring_target, True),
        (RosterStatus.continued_support, True),
        (RosterStatus.removed, False),
        (RosterStatus.not_listed, False),
    ],
)
def test_clause_1_1_roster_status(status: RosterStatus, passes: bool) -> None:
    facts = replace(BASE, household=replace(BASE.household, roster_status=status))
    assert verdict(facts, "roster_status") == (passes, "1.1")


@pytest.mark.parametrize(("outstanding", "passes"), [(False, True), (True, False)])
def test_clause_1_1_one_loan_per_household(outstanding: bool, passes: bool) -> None:
    facts = replace(
        BASE, household=replace(BASE.household, has_outstanding_assistance_loan=outstanding)
    )
    assert verdict(facts, "one_loan_per_household") == (passes, "1.1")


@pytest.mark.parametrize(
    ("amount", "on", "passes"),
    [
        ("0.00", APP_DATE, False),
        ("0.01", APP_DATE, True),
        ("100000.00", APP_DATE, True),
        ("100000.01", APP_DATE, False),
        # The policy date and the day before it: legacy cap of 50,000 until 2026-02-23.
        ("50000.01", date(2026, 2, 24), True),
        ("50000.01", date(2026, 2, 23), False),
        ("50000.00", date(2026, 2, 23), True),
    ],
)
def test_clause_1_2_amount(amount: str, on: date, passes: bool) -> None:
    facts = replace(
        BASE,
        application_date=on,
        loan=replace(BASE.loan, amount=Decimal(amount)),
        rating=replace(BASE.rating, credit_limit=Decimal("200000")),  # type: ignore[arg-type]
    )
    assert verdict(facts, "amount_within_cap") == (passes, "1.2")


def test_policy_version_switches_on_the_notice_date() -> None:
    assert evaluate(replace(BASE, application_date=date(2026, 2, 23))).policy_version == (
        "LEGACY_2021"
    )
    assert evaluate(replace(BASE, application_date=date(2026, 2, 24))).policy_version == (
        "ASSIST_2026"
    )


@pytest.mark.parametrize(("term", "passes"), [(0, False), (1, True), (36, True), (37, False)])
def test_clause_1_3_term(term: int, passes: bool) -> None:
    facts = replace(BASE, loan=replace(BASE.loan, term_months=term))
    assert verdict(facts, "term_within_cap") == (passes, "1.3")


@pytest.mark.parametrize(("required", "passes"), [(False, True), (True, False)])
def test_clause_1_5_no_guarantee(required: bool, passes: bool) -> None:
    facts = replace(BASE, loan=replace(BASE.loan, guarantee_required=required))
    assert verdict(facts, "no_guarantee") == (passes, "1.5")


@pytest.mark.parametrize("purpose", list(Purpose))
def test_clause_1_8_purpose(purpose: Purpose) -> None:
    facts = replace(BASE, loan=replace(BASE.loan, purpose=purpose))
    assert verdict(facts, "productive_purpose") == (purpose not in REFUSED_PURPOSES, "1.8")


def test_clause_1_8_refuses_exactly_the_notice_list() -> None:
    assert {p.value for p in REFUSED_PURPOSES} == {
        "marriage",
        "housing",
        "wealth_management",
        "household_goods",
        "enterprise_use",
        "relending",
    }


@pytest.mark.parametrize(
    ("birth_date", "passes"),
    [
        (date(2008, 6, 2), False),  # the day before the 18th birthday
        (date(2008, 6, 1), True),  # the 18th birthday
        (date(1961, 6, 1), True),  # the 65th birthday itself
        (date(1960, 6, 2), True),  # the last day of the 65th year
        (date(1960, 6, 1), False),  # the day after the 65th year ends (66th birthday)
    ],
)
def test_clause_1_9_age_counted_by_birthday(birth_date: date, passes: bool) -> None:
    facts = replace(BASE, applicant=replace(BASE.applicant, birth_date=birth_date))
    assert verdict(facts, "age_within_range") == (passes, "1.9")


def test_age_of_someone_born_on_29_february() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18
    assert age_on(born, date(2028, 2, 29)) == 20


@pytest.mark.parametrize(
    ("field", "value", "code", "passes"),
    [
        ("full_civil_capacity", False, "full_civil_capacity", False),
        ("major_bad_credit_record", True, "no_major_bad_credit", False),
        ("has_labor_skills", False, "labor_skills", False),
    ],
)
def test_clause_1_9_applicant_conditions(field: str, value: bool, code: str, passes: bool) -> None:
    facts = replace(BASE, applicant=replace(BASE.applicant, **{field: value}))
    assert verdict(facts, code) == (passes, "1.9")
    assert verdict(BASE, code) == (True, "1.9")


@pytest.mark.parametrize(
    ("valid_until", "passes"),
    [(APP_DATE, True), (date(2026, 5, 31), False)],
)
def test_clause_1_9_rating_valid_on_application_date(valid_until: date, passes: bool) -> None:
    facts = replace(BASE, rating=replace(BASE.rating, valid_until=valid_until))  # type: ignore[arg-type]
    assert verdict(facts, "rating_valid") == (passes, "1.9")


def test_clause_1_9_no_rating_fails_both_rating_rules() -> None:
    facts = replace(BASE, rating=None)
    assert verdict(facts, "rating_valid") == (False, "1.9")
    assert verdict(facts, "credit_line_covers_amount") == (False, "1.9")


@pytest.mark.parametrize(("limit", "passes"), [("50000.00", True), ("49999.99", False)])
def test_clause_1_9_credit_line_covers_amount(limit: str, passes: bool) -> None:
    facts = replace(BASE, rating=replace(BASE.rating, credit_limit=Decimal(limit)))  # type: ignore[arg-type]
    assert verdict(facts, "credit_line_covers_amount") == (passes, "1.9")


@pytest.mark.parametrize(("suspended", "passes"), [(False, True), (True, False)])
def test_clause_4_3_region_suspension(suspended: bool, passes: bool) -> None:
    facts = replace(BASE, household=replace(BASE.household, region_suspended=suspended))
    assert verdict(facts, "region_not_suspended") == (passes, "4.3")


def test_clause_4_1_a_decision_needs_a_confirming_investigation() -> None:
    from app.domain.eligibility import check_investigation

    assert (check_investigation(True).passed, check_investigation(True).clause) == (True, "4.1")
    assert check_investigation(False).passed is False


@pytest.mark.parametrize(("approved", "passes"), [("50000.00", True), ("50000.01", False)])
def test_clause_1_9_approval_within_the_amount_requested(approved: str, passes: bool) -> None:
    from app.domain.eligibility import check_within_requested

    result = check_within_requested(Decimal(approved), Decimal("50000.00"))
    assert (result.passed, result.clause) == (passes, "1.9")
