"""Every rule of app/domain, passing and failing, with its code, clause and the words an
officer, a borrower and an auditor read, held against tests/unit/rule_catalogue.json.

The wording is the service's voice in a refusal: a change to it (or to a code, a clause, a
verdict) must be made on purpose. Regenerate after a deliberate change with
`UPDATE_RULE_CATALOGUE=1 pytest tests/unit/test_rule_catalogue.py`, and read the diff."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.domain import collections as c
from app.domain import decisions, diversion, pricing
from app.domain import eligibility as e
from app.domain import exemption as ex
from app.domain import renewal as r
from app.domain import subsidy as s
from app.domain.classification import RiskClass, check_class_change, check_override_evidence
from app.domain.eligibility import RosterStatus
from app.domain.policy import ASSIST_2026, LEGACY_2021, Purpose
from app.domain.rules import RuleResult

D = Decimal
CATALOGUE = Path(__file__).with_name("rule_catalogue.json")
ON = date(2026, 6, 1)

HOUSEHOLD = e.HouseholdFacts(RosterStatus.monitoring_target, "520102", False, False, "520103")
APPLICANT = e.Applicant(date(1980, 5, 10), True, False, True)
LOAN = e.LoanRequest(D("50000.00"), 24, Purpose.livestock, False, False)
RATING = e.RatingFacts("A", D("80000.00"), date(2027, 5, 31))
CHAIN = r.LoanChainFacts(
    "ASSIST_2026",
    date(2026, 4, 1),
    date(2027, 4, 1),
    12,
    0,
    RosterStatus.continued_support,
    False,
    False,
)
TERMS = s.SubsidyTerms(D("0.0435"), D("0.025"), D("0.01"), D("50000"), D("50000"))


def catalogue() -> dict[str, list[RuleResult]]:
    legacy = replace(CHAIN, policy_version="LEGACY_2021", issue_date=date(2025, 6, 1))
    return {
        "roster": [
            e.check_roster(HOUSEHOLD),
            e.check_roster(replace(HOUSEHOLD, roster_status=RosterStatus.removed)),
        ],
        "one_loan": [
            e.check_one_loan(HOUSEHOLD),
            e.check_one_loan(replace(HOUSEHOLD, has_outstanding_assistance_loan=True)),
        ],
        "amount": [
            e.check_amount(replace(LOAN, amount=D("100000.00")), ASSIST_2026),
            e.check_amount(replace(LOAN, amount=D("100000.01")), ASSIST_2026),
            e.check_amount(replace(LOAN, amount=D("50000.01")), LEGACY_2021),
        ],
        "term": [
            e.check_term(LOAN, ASSIST_2026),
            e.check_term(replace(LOAN, term_months=37), ASSIST_2026),
        ],
        "guarantee": [
            e.check_guarantee(LOAN, ASSIST_2026),
            e.check_guarantee(replace(LOAN, guarantee_required=True), ASSIST_2026),
        ],
        "purpose": [
            e.check_purpose(LOAN, ASSIST_2026),
            e.check_purpose(replace(LOAN, purpose=Purpose.housing), ASSIST_2026),
        ],
        "age": [
            e.check_age(APPLICANT, ON, ASSIST_2026),
            e.check_age(replace(APPLICANT, birth_date=date(1960, 6, 1)), ON, ASSIST_2026),
        ],
        "capacity": [
            e.check_capacity(APPLICANT),
            e.check_capacity(replace(APPLICANT, full_civil_capacity=False)),
            e.check_capacity(replace(APPLICANT, full_civil_capacity=None)),
        ],
        "credit_record": [
            e.check_credit_record(APPLICANT),
            e.check_credit_record(replace(APPLICANT, major_bad_credit_record=True)),
        ],
        "labor_skills": [
            e.check_labor_skills(APPLICANT),
            e.check_labor_skills(replace(APPLICANT, has_labor_skills=False)),
            e.check_labor_skills(replace(APPLICANT, has_labor_skills=None)),
        ],
        "rating": [
            e.check_rating(RATING, ON),
            e.check_rating(None, ON),
            e.check_rating(replace(RATING, valid_until=date(2026, 5, 31)), ON),
        ],
        "credit_line": [
            e.check_credit_line(RATING, LOAN),
            e.check_credit_line(None, LOAN),
        ],
        "region": [
            e.check_region(HOUSEHOLD),
            e.check_region(replace(HOUSEHOLD, region_suspended=True)),
            e.check_region(replace(HOUSEHOLD, roster_region_suspended=True)),
        ],
        "investigation": [e.check_investigation(True), e.check_investigation(False)],
        "within_requested": [
            e.check_within_requested(D("50000.00"), D("50000.00")),
            e.check_within_requested(D("50000.01"), D("50000.00")),
        ],
        "diversion": [
            diversion.check_diversion_wording("扩大肉牛养殖"),
            diversion.check_diversion_wording("资金入股本村XX农业有限公司，按年分红"),
        ],
        "maker_checker": [
            decisions.check_independent("a", {"b"}),
            decisions.check_independent("a", {"a", "b"}),
        ],
        "chain": [
            *r.evaluate(CHAIN, r.ChainAction.extension, 12).rules,
            *r.evaluate(
                replace(
                    CHAIN,
                    renewals_or_extensions_in_chain=1,
                    roster_status=RosterStatus.removed,
                    unresolved_misuse=True,
                ),
                r.ChainAction.extension,
                13,
            ).rules,
            *r.evaluate(legacy, r.ChainAction.renewal).rules[:1],
            *r.evaluate(
                replace(legacy, renewals_or_extensions_in_chain=1), r.ChainAction.renewal
            ).rules[:1],
        ],
        "timing": [
            r.check_extension_before_maturity(date(2027, 3, 31), date(2027, 4, 1)),
            r.check_extension_before_maturity(date(2027, 4, 1), date(2027, 4, 1)),
            r.check_renewal_window(date(2027, 3, 2), date(2027, 4, 1)),
            r.check_renewal_window(date(2027, 3, 1), date(2027, 4, 1)),
            r.check_renewal_at_maturity(date(2027, 4, 1), date(2027, 4, 1)),
            r.check_renewal_at_maturity(date(2027, 3, 31), date(2027, 4, 1)),
            r.check_interest_settled(D("0"), D("0")),
            r.check_interest_settled(D("0.01"), D("0")),
            r.check_interest_settled(D("0"), D("0.01")),
        ],
        "subsidy": [
            s.check_borrower_share(TERMS, D("0")),
            s.check_borrower_share(replace(TERMS, local_rate=D("0.0185")), D("0")),
            s.check_large_production(True, s.LargeProductionCategory.scale_up, True),
            s.check_large_production(False, None, True),
            s.check_local_rate_from_programme(None, D("0.01")),
            s.check_local_rate_from_programme(D("0.02"), D("0.0100")),
        ],
        "class": [
            check_class_change(RiskClass.doubtful, RiskClass.substandard),
            check_class_change(RiskClass.normal, RiskClass.substandard),
            check_override_evidence(RiskClass.loss, 0, ["村委会证明"]),
            check_override_evidence(RiskClass.loss, 0, []),
        ],
        "exemption": [
            ex.outcome_consistent(
                ex.Outcome.partly_exempt, ["natural_disaster"], ["evidence_missing"]
            ),
            ex.outcome_consistent(ex.Outcome.exempt, ["natural_disaster"], ["evidence_missing"]),
        ],
        "rate_guidance": [
            pricing.check_rate(pricing.suggest(pricing.DEFAULT, "A"), D("0.0500"), None),
            pricing.check_rate(pricing.suggest(pricing.DEFAULT, "A"), D("0.0501"), None),
        ],
        "write_off": [
            *c.write_off_rules(
                c.WriteOffGrounds.loss_class,
                risk_class="loss",
                days_past_due=0,
                actions=[],
                evidence=["催收记录"],
            ),
            *c.write_off_rules(
                c.WriteOffGrounds.loss_class,
                risk_class="doubtful",
                days_past_due=0,
                actions=[],
                evidence=[],
            ),
            *c.write_off_rules(
                c.WriteOffGrounds.collection_exhausted,
                risk_class="doubtful",
                days_past_due=181,
                actions=[
                    c.CollectionActionKind.phone_call,
                    c.CollectionActionKind.home_visit,
                    c.CollectionActionKind.work_team,
                ],
                evidence=["催收记录"],
            ),
            *c.write_off_rules(
                c.WriteOffGrounds.collection_exhausted,
                risk_class="doubtful",
                days_past_due=180,
                actions=[c.CollectionActionKind.phone_call, c.CollectionActionKind.home_visit],
                evidence=["催收记录"],
            ),
        ],
    }


def as_json(found: dict[str, list[RuleResult]]) -> dict[str, list[dict[str, object]]]:
    return {
        name: [
            {
                "code": x.code,
                "clause": x.clause,
                "passed": x.passed,
                "message_zh": x.message_zh,
                "message_en": x.message_en,
            }
            for x in results
        ]
        for name, results in found.items()
    }


def test_every_rule_says_what_the_catalogue_says() -> None:
    found = as_json(catalogue())
    if os.environ.get("UPDATE_RULE_CATALOGUE"):
        CATALOGUE.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    assert found == json.loads(CATALOGUE.read_text())


def test_the_catalogue_holds_both_verdicts_of_every_rule() -> None:
    verdicts: dict[str, set[bool]] = {}
    for results in catalogue().values():
        for x in results:
            verdicts.setdefault(x.code, set()).add(x.passed)
    assert {code for code, seen in verdicts.items() if seen != {True, False}} == set()
