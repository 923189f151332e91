"""Renewal and extension: clause 2.3 (once per chain, legacy allowance), 4.2 (roster exits,
misuse) and the extension-length limits of 《贷款通则》 art. 12."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.eligibility import RosterStatus
from app.domain.renewal import ChainAction, LoanChainFacts, evaluate, max_extension_months

FACTS = LoanChainFacts(
    policy_version="ASSIST_2026",
    issue_date=date(2026, 4, 1),
    maturity_date=date(2027, 4, 1),
    original_term_months=12,
    renewals_or_extensions_in_chain=0,
    roster_status=RosterStatus.continued_support,
    unresolved_misuse=False,
    any_amount_overdue=False,
)


def failing(decision) -> set[tuple[str, str]]:
    return {(r.code, r.clause) for r in decision.rules if not r.passed}


def test_clause_2_3_first_renewal_allowed_second_refused() -> None:
    assert evaluate(FACTS, ChainAction.renewal).allowed
    again = evaluate(replace(FACTS, renewals_or_extensions_in_chain=1), ChainAction.renewal)
    assert not again.allowed
    assert failing(again) == {("once_per_chain", "2.3")}


@pytest.mark.parametrize(
    ("issued", "matures", "used", "allowed"),
    [
        (date(2025, 6, 1), date(2026, 6, 1), 0, True),  # issued in transition, matures after
        (date(2025, 1, 1), date(2025, 12, 31), 0, False),  # matured within the transition
        (date(2025, 6, 1), date(2026, 6, 1), 1, False),  # already renewed or extended
        # 2.3 and 5.2: signed 2026-01-01 to 02-23 (before the notice) keeps legacy terms and
        # may be renewed or extended once too
        (date(2026, 1, 5), date(2027, 1, 5), 0, True),
        (date(2026, 2, 23), date(2027, 2, 23), 0, True),
        (date(2026, 2, 24), date(2027, 2, 24), 0, False),  # the notice's day: not legacy
    ],
)
def test_clause_2_3_legacy_allowance(issued: date, matures: date, used: int, allowed: bool) -> None:
    facts = replace(
        FACTS,
        policy_version="LEGACY_2021",
        issue_date=issued,
        maturity_date=matures,
        renewals_or_extensions_in_chain=used,
    )
    decision = evaluate(facts, ChainAction.renewal)
    assert decision.allowed is allowed
    assert decision.governing_policy == "ASSIST_2026"
    if not allowed:
        assert failing(decision) == {("legacy_allowance", "2.3")}


@pytest.mark.parametrize("status", [RosterStatus.removed, RosterStatus.not_listed])
def test_clause_4_2_removed_borrower_cannot_renew_and_is_pointed_to_farmer_loans(
    status: RosterStatus,
) -> None:
    decision = evaluate(replace(FACTS, roster_status=status), ChainAction.renewal)
    assert failing(decision) == {("borrower_on_roster", "4.2")}
    (refusal,) = [r for r in decision.rules if not r.passed]
    assert "农户贷款" in refusal.message_zh and "ordinary farmer loan" in refusal.message_en


def test_clause_4_2_uncorrected_misuse_blocks_renewal_and_extension() -> None:
    facts = replace(FACTS, unresolved_misuse=True)
    for action in ChainAction:
        decision = evaluate(facts, action, extension_months=3)
        assert failing(decision) == {("no_unresolved_misuse", "4.2")}


@pytest.mark.parametrize(("original", "limit"), [(1, 1), (12, 12), (13, 6), (24, 12), (36, 18)])
def test_extension_length_limits(original: int, limit: int) -> None:
    assert max_extension_months(original) == limit
    facts = replace(FACTS, original_term_months=original)
    assert evaluate(facts, ChainAction.extension, extension_months=limit).allowed
    too_long = evaluate(facts, ChainAction.extension, extension_months=limit + 1)
    assert failing(too_long) == {("extension_length", "2.3")}


def test_borrower_in_difficulty_makes_it_a_restructuring() -> None:
    assert not evaluate(FACTS, ChainAction.extension, extension_months=6).restructuring
    overdue = replace(FACTS, any_amount_overdue=True)
    assert evaluate(overdue, ChainAction.extension, extension_months=6).restructuring
