"""Issue 12's rules in app/domain, each at both sides of its boundary, expected values worked
out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.classification import (
    Restructuring,
    RiskClass,
    check_override_evidence,
    classify,
    observation_period,
    override_needs_a_decision,
    restructured_floor,
)
from app.domain.decisions import check_independent
from app.domain.diversion import check_diversion_wording
from app.domain.eligibility import (
    Applicant,
    HouseholdFacts,
    RosterStatus,
    check_capacity,
    check_labor_skills,
    check_region,
)
from app.domain.policy import (
    ASSIST_2026,
    LprQuote,
    legacy_contract_problems,
    legacy_rate_ceiling,
    lpr_in_force,
)
from app.domain.renewal import check_renewal_window, in_difficulty
from app.domain.rules import failures
from app.domain.subsidy import (
    LargeProductionCategory,
    LocalProgramme,
    ProgrammeBasis,
    SubsidyTerms,
    check_borrower_share,
    check_large_production,
    check_local_rate_from_programme,
    programme_for,
    shares,
    split,
    subsidy_accrues,
)

D = Decimal
HOUSEHOLD = HouseholdFacts(
    roster_status=RosterStatus.monitoring_target,
    region_code="520102",
    has_outstanding_assistance_loan=False,
    region_suspended=False,
    roster_region_code="520103",
)


# --- 4.3 -------------------------------------------------------------------------------------


def test_clause_4_3_either_county_suspended_refuses() -> None:
    assert check_region(HOUSEHOLD).passed
    booked = check_region(replace(HOUSEHOLD, region_suspended=True))
    roster = check_region(replace(HOUSEHOLD, roster_region_suspended=True))
    assert (booked.passed, booked.clause, "520102" in booked.message_en) == (False, "4.3", True)
    assert (roster.passed, "520103" in roster.message_en, "520103" in roster.message_zh) == (
        False,
        True,
        True,
    )


def test_clause_4_1_the_decider_is_none_of_those_involved() -> None:
    assert check_independent("carol", {"alice", "bob"}).passed
    refused = check_independent("bob", {"alice", "bob"})
    assert (refused.passed, refused.code, refused.clause) == (False, "maker_checker", "4.1")


@pytest.mark.parametrize(("value", "passed"), [(True, True), (False, False), (None, False)])
def test_clause_1_9_unknown_facts_are_not_true(value: bool | None, passed: bool) -> None:
    applicant = Applicant(date(1980, 1, 1), value, False, value)
    for check in (check_capacity, check_labor_skills):
        result = check(applicant)
        assert result.passed is passed
        assert ("not recorded" in result.message_en) is (value is None)


# --- 1.6 -------------------------------------------------------------------------------------


def _programme(prefix: str, value: str, start: date, end: date | None = None) -> LocalProgramme:
    return LocalProgramme(prefix, ProgrammeBasis.rate_points, D(value), None, start, end)


def test_clause_1_6_the_most_specific_then_latest_programme_in_force_governs() -> None:
    province = _programme("52", "0.002", date(2026, 3, 1))
    county = _programme("520102", "0.01", date(2026, 6, 1), date(2026, 12, 1))
    later_province = _programme("52", "0.003", date(2026, 9, 1))
    found = [province, county, later_province]
    assert programme_for("520102", date(2026, 2, 28), found) is None
    assert programme_for("520102", date(2026, 3, 1), found) is province
    assert programme_for("520102", date(2026, 5, 31), found) is province
    assert programme_for("520102", date(2026, 6, 1), found) is county
    assert programme_for("520102", date(2026, 11, 30), found) is county  # end is exclusive
    assert programme_for("520102", date(2026, 12, 1), found) is later_province
    assert programme_for("520103", date(2026, 6, 1), found) is province


def test_clause_1_6_programme_bases() -> None:
    share = LocalProgramme("52", ProgrammeBasis.share_of_rate, D("0.2"), None, date(2026, 1, 1))
    assert share.rate_for(D("0.0435")) == D("0.0087")  # 0.2 × 4.35%
    assert _programme("52", "0.01", date(2026, 1, 1)).rate_for(D("0.0435")) == D("0.01")


def test_clause_1_6_local_principal_cap_subsidises_a_smaller_part() -> None:
    terms = split(D("0.0435"), D("40000"), False, D("0.01"), ASSIST_2026, D("20000")).terms
    assert (terms.subsidised_principal, terms.local_principal) == (D("40000"), D("20000"))
    # 145.00 of interest: central 145 × 0.025/0.0435 = 83.333… → 83.33;
    # local on half the principal: 72.50 × 0.01/0.0435 = 16.666… → 16.67.
    found = shares(D("145.00"), terms)
    assert (found.central, found.local, found.borrower) == (D("83.33"), D("16.67"), D("45.00"))


def test_clause_1_6_without_a_local_cap_shares_are_unchanged() -> None:
    capped = SubsidyTerms(D("0.0435"), D("0.025"), D("0.01"), D("40000"), D("40000"), None)
    assert capped.local_principal == D("40000")
    # 145.00 × 0.01/0.0435 = 33.333… → 33.33
    assert shares(D("145.00"), capped).local == D("33.33")


@pytest.mark.parametrize(
    ("local", "floor", "passed"),
    [
        (D("0.013"), D("0"), True),  # 4.35 − 2.5 − 1.3 = 0.55 points
        (D("0.0185"), D("0"), False),  # 4.35 − 2.5 − 1.85 = 0: nothing borne
        (D("0.0184"), D("0"), True),  # one basis point of a point left
        (D("0.0175"), D("0.001"), False),  # 0.1 point left, the floor is 0.1 point
        (D("0.0174"), D("0.001"), True),
    ],
)
def test_clause_1_6_the_borrower_bears_more_than_the_floor(
    local: Decimal, floor: Decimal, passed: bool
) -> None:
    terms = SubsidyTerms(D("0.0435"), D("0.025"), local, D("50000"), D("50000"))
    result = check_borrower_share(terms, floor)
    assert (result.passed, result.code, result.clause) == (passed, "borrower_bears_interest", "1.6")


def test_clause_1_6_large_production_needs_the_request_a_category_and_the_confirmation() -> None:
    category = LargeProductionCategory.facility_agriculture
    assert check_large_production(True, category, True).passed
    assert check_large_production(True, category, False).passed  # unconfirmed: cap stays 50k
    assert check_large_production(False, None, False).passed
    assert not check_large_production(False, None, True).passed
    assert not check_large_production(True, None, True).passed
    assert {c.value for c in LargeProductionCategory} == {
        "scale_up",
        "farm_facilities",
        "facility_agriculture",
    }


def test_clause_1_6_a_typed_local_rate_must_be_the_programmes() -> None:
    assert check_local_rate_from_programme(None, D("0.01")).passed
    assert check_local_rate_from_programme(D("0.0100"), D("0.01")).passed
    assert not check_local_rate_from_programme(D("0.0101"), D("0.01")).passed


@pytest.mark.parametrize(
    ("dpd", "overdue_days_subsidised", "forfeited", "accrues"),
    [
        (0, False, False, True),
        (1, False, False, False),
        (1, True, False, True),
        (0, False, True, False),
        (0, True, True, False),
        (5, True, True, False),
    ],
)
def test_clause_1_6_subsidy_accrues_only_while_the_loan_performs(
    dpd: int, overdue_days_subsidised: bool, forfeited: bool, accrues: bool
) -> None:
    assert subsidy_accrues(dpd, overdue_days_subsidised, forfeited) is accrues


# --- 3.1 -------------------------------------------------------------------------------------

MONTHLY = [date(2026, m, 15) for m in range(4, 13)] + [date(2027, m, 15) for m in range(1, 10)]


def test_clause_3_1_observation_starts_at_the_next_repayment_and_lasts_a_year() -> None:
    # changed 2026-05-20: first repayment 06-15; two periods after it end 08-15; a year 2027-06-15
    assert observation_period(date(2026, 5, 20), MONTHLY) == (date(2026, 6, 15), date(2027, 6, 15))
    # changed on a due date: that repayment is not after the change
    assert observation_period(date(2026, 6, 15), MONTHLY)[0] == date(2026, 7, 15)


def test_clause_3_1_observation_covers_two_periods_when_they_are_longer_than_a_year() -> None:
    yearly = [date(2027, 3, 1), date(2028, 3, 1), date(2029, 3, 1)]
    # two periods after 2027-03-01 end 2029-03-01, later than a year
    assert observation_period(date(2026, 6, 1), yearly) == (date(2027, 3, 1), date(2029, 3, 1))
    # a single repayment left: the year
    assert observation_period(date(2026, 6, 1), yearly[:1]) == (date(2027, 3, 1), date(2028, 3, 1))
    with pytest.raises(ValueError, match="no repayment"):
        observation_period(date(2030, 1, 1), yearly)


@pytest.mark.parametrize(
    ("before", "floor"),
    [
        (RiskClass.normal, RiskClass.special_mention),
        (RiskClass.special_mention, RiskClass.special_mention),
        (RiskClass.substandard, RiskClass.substandard),
        (RiskClass.doubtful, RiskClass.doubtful),
        (RiskClass.loss, RiskClass.loss),
    ],
)
def test_clause_3_1_restructuring_never_improves_a_class(
    before: RiskClass, floor: RiskClass
) -> None:
    assert restructured_floor(before) is floor


def test_clause_3_1_a_breached_observation_keeps_the_floor() -> None:
    observed = Restructuring(RiskClass.substandard, date(2026, 6, 15), date(2027, 6, 15))
    assert classify(0, date(2027, 6, 15), restructuring=observed) is RiskClass.substandard
    assert classify(0, date(2027, 6, 16), restructuring=observed) is RiskClass.normal
    breached = replace(observed, breached=True)
    assert classify(0, date(2028, 1, 1), restructuring=breached) is RiskClass.substandard


@pytest.mark.parametrize(
    ("open_date", "passed"),
    [(date(2026, 5, 1), False), (date(2026, 5, 2), True), (date(2026, 6, 1), True)],
)
def test_clause_2_3_renewal_window_opens_30_days_before_maturity(
    open_date: date, passed: bool
) -> None:
    # maturity 2026-06-01 − 30 days = 2026-05-02
    assert check_renewal_window(open_date, date(2026, 6, 1)).passed is passed


@pytest.mark.parametrize(
    ("dpd", "principal", "interest", "penalty", "renewed", "difficulty"),
    [
        (0, "0", "0", "0", "0", False),
        (0, "12000", "0", "0", "12000", False),  # the maturing principal the renewal takes
        (0, "12000.01", "0", "0", "12000", True),  # a fen more was already overdue
        (1, "12000", "0", "0", "12000", True),  # a closed day counted it past due
        (0, "0", "0.01", "0", "0", True),
        (0, "0", "0", "0.01", "0", True),
    ],
)
def test_clause_3_1_in_difficulty(
    dpd: int, principal: str, interest: str, penalty: str, renewed: str, difficulty: bool
) -> None:
    assert in_difficulty(dpd, D(principal), D(interest), D(penalty), D(renewed)) is difficulty


# --- 5.2 -------------------------------------------------------------------------------------

QUOTES = [
    LprQuote(date(2024, 10, 21), D("0.031"), D("0.036")),
    LprQuote(date(2025, 5, 20), D("0.030"), D("0.035")),
]


def test_clause_5_2_the_lpr_in_force_on_a_date() -> None:
    assert lpr_in_force(date(2024, 10, 20), QUOTES) is None
    assert lpr_in_force(date(2024, 10, 21), QUOTES) is QUOTES[0]
    assert lpr_in_force(date(2025, 5, 19), QUOTES) is QUOTES[0]
    assert lpr_in_force(date(2025, 5, 20), QUOTES) is QUOTES[1]


@pytest.mark.parametrize(
    ("term", "rate", "ok"),
    [
        (12, "0.0300", True),  # up to a year: the 1-year LPR
        (12, "0.0301", False),
        (13, "0.0350", True),  # longer: the 5-year LPR
        (13, "0.0351", False),
    ],
)
def test_clause_5_2_legacy_rate_ceiling(term: int, rate: str, ok: bool) -> None:
    quote = QUOTES[1]
    assert legacy_rate_ceiling(term, quote) == (quote.one_year if term <= 12 else quote.five_year)
    problems = legacy_contract_problems(
        date(2025, 6, 1), D("20000"), term, D(rate), D("0.02"), D("0"), D("20000"), quote
    )
    assert (problems == []) is ok


def test_clause_5_2_no_lpr_recorded_rejects() -> None:
    problems = legacy_contract_problems(
        date(2019, 1, 1), D("20000"), 12, D("0.03"), D("0.02"), D("0"), D("20000"), None
    )
    assert [p.en for p in problems] == ["5.2 no loan prime rate is recorded for 2019-01-01"]
    assert problems[0].zh.startswith("5.2 ")


@pytest.mark.parametrize(
    ("version", "action", "runs"),
    [
        ("ASSIST_2026", "renewal", True),  # a renewal is a new loan under the notice
        ("ASSIST_2026", "extension", False),  # stays under its own contract
        ("LEGACY_2021", "renewal", True),
        ("LEGACY_2021", "extension", True),  # 2.3, 5.2: the extension period is the notice's
    ],
)
def test_clause_2_3_and_5_2_which_requests_run_the_new_notices_eligibility(
    version: str, action: str, runs: bool
) -> None:
    from app.domain.renewal import ChainAction, runs_new_notice_eligibility

    assert runs_new_notice_eligibility(version, ChainAction(action)) is runs


@pytest.mark.parametrize(
    ("proposed", "days_past_due", "needs"),
    [
        (RiskClass.substandard, 0, False),  # one risk manager's call, audited
        (RiskClass.doubtful, 0, True),
        (RiskClass.doubtful, 271, False),  # the days past due give it already
        (RiskClass.loss, 271, True),
        (RiskClass.loss, 361, False),
    ],
)
def test_clause_3_1_doubtful_or_loss_beyond_the_days_past_due_is_decided_on_evidence(
    proposed: RiskClass, days_past_due: int, needs: bool
) -> None:
    assert override_needs_a_decision(proposed, days_past_due) is needs
    bare = check_override_evidence(proposed, days_past_due, [])
    assert (bare.passed, bare.code, bare.clause) == (not needs, "class_override_evidence", "3.1")
    assert check_override_evidence(proposed, days_past_due, ["村委会证明"]).passed


@pytest.mark.parametrize(
    ("texts", "words"),
    [
        (("资金入股本村XX农业有限公司，按年分红",), ["入股", "分红", "有限公司"]),
        (("扩大肉牛养殖，购入10头西门塔尔牛", None), []),
        (("购买化肥", "调查发现部分资金转借亲戚"), ["转借"]),
        (("给儿子结婚用",), ["结婚"]),
    ],
)
def test_clause_1_8_wording_of_diversion_is_a_warning_never_a_refusal(
    texts: tuple[str | None, ...], words: list[str]
) -> None:
    found = check_diversion_wording(*texts)
    assert (found.code, found.clause, found.level) == ("diversion_wording", "1.8", "warning")
    assert found.passed is (not words)
    assert all(w in found.message_zh for w in words)
    assert failures([found]) == []  # a warning never refuses
