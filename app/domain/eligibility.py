"""Who may borrow what: clauses 1.1, 1.2, 1.3, 1.5, 1.8, 1.9 and 4.3.

Every rule is evaluated (no short-circuit), so an officer sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.domain.policy import PolicyVersion, Purpose, policy_for
from app.domain.rules import RuleResult, rule


class RosterStatus(StrEnum):
    monitoring_target = "monitoring_target"  # 防止返贫致贫对象
    continued_support = "continued_support"  # 需继续帮扶的原建档立卡脱贫人口
    removed = "removed"
    not_listed = "not_listed"


LISTED = frozenset({RosterStatus.monitoring_target, RosterStatus.continued_support})


def person_roster_status(category: str | None, removed_date: date | None, on: date) -> RosterStatus:
    """A person's status on `on` from their roster entry (None: not on the roster)."""
    if category is None:
        return RosterStatus.not_listed
    if removed_date is not None and removed_date <= on:
        return RosterStatus.removed
    return RosterStatus(category)


def household_roster_status(member_statuses: list[RosterStatus]) -> RosterStatus:
    """Clause 1.1: the household is on the roster if any member is listed; a household whose
    listed members have all been removed is `removed`; otherwise `not_listed`."""
    for status in (
        RosterStatus.monitoring_target,
        RosterStatus.continued_support,
        RosterStatus.removed,
    ):
        if status in member_statuses:
            return status
    return RosterStatus.not_listed


@dataclass(frozen=True, slots=True)
class Applicant:
    birth_date: date
    # None: not known (a contract brought over from the earlier system did not record it).
    full_civil_capacity: bool | None
    major_bad_credit_record: bool
    has_labor_skills: bool | None


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    roster_status: RosterStatus
    region_code: str  # the county the bank household is booked in
    has_outstanding_assistance_loan: bool
    region_suspended: bool
    # 4.3: the borrower's roster county (registered residence) counts as well as the booking
    # county; None when it is the same or unknown.
    roster_region_code: str | None = None
    roster_region_suspended: bool = False


@dataclass(frozen=True, slots=True)
class RatingFacts:
    grade: str
    credit_limit: Decimal
    valid_until: date


@dataclass(frozen=True, slots=True)
class LoanRequest:
    amount: Decimal
    term_months: int
    purpose: Purpose
    large_production: bool
    guarantee_required: bool


@dataclass(frozen=True, slots=True)
class EligibilityInput:
    application_date: date
    applicant: Applicant
    household: HouseholdFacts
    rating: RatingFacts | None
    loan: LoanRequest


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    policy_version: str
    rules: list[RuleResult]


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`, counted by birthday. Born on 29 February: in common years the
    birthday is reached on 1 March (28 February still comes before (2, 29), 1 March after it,
    so comparing (month, day) needs no leap-year case)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_roster(household: HouseholdFacts) -> RuleResult:
    listed = household.roster_status in LISTED
    return rule(
        "roster_status",
        "1.1",
        listed,
        "借款户在帮扶人口名单内" if listed else "借款人不在帮扶人口名单内或已被调出名单",
        "The household is on the assistance roster"
        if listed
        else f"The applicant is not on the assistance roster (status {household.roster_status})",
    )


def check_one_loan(household: HouseholdFacts) -> RuleResult:
    ok = not household.has_outstanding_assistance_loan
    return rule(
        "one_loan_per_household",
        "1.1",
        ok,
        "该户无未结清的帮扶小额信贷"
        if ok
        else "该户已有未结清的帮扶小额信贷，以户为单位只能有一笔",
        "No outstanding assistance loan in the household"
        if ok
        else "The household already has an outstanding assistance loan (one per household)",
    )


def check_amount(loan: LoanRequest, policy: PolicyVersion) -> RuleResult:
    ok = Decimal(0) < loan.amount <= policy.amount_cap
    return rule(
        "amount_within_cap",
        "1.2",
        ok,
        f"贷款金额须大于0且不超过{policy.amount_cap}元",
        f"The amount must be above 0 and at most {policy.amount_cap} CNY (requested {loan.amount})",
    )


def check_term(loan: LoanRequest, policy: PolicyVersion) -> RuleResult:
    ok = policy.term_months_min <= loan.term_months <= policy.term_months_max
    return rule(
        "term_within_cap",
        "1.3",
        ok,
        f"贷款期限须在{policy.term_months_min}至{policy.term_months_max}个月之间",
        f"The term must be {policy.term_months_min}–{policy.term_months_max} months"
        f" (requested {loan.term_months})",
    )


def check_guarantee(loan: LoanRequest, policy: PolicyVersion) -> RuleResult:
    ok = policy.guarantee_allowed or not loan.guarantee_required
    return rule(
        "no_guarantee",
        "1.5",
        ok,
        "免担保" if ok else "帮扶小额信贷免担保，不得要求担保或抵押",
        "No guarantee or collateral is required"
        if ok
        else "No guarantee or collateral may be required for an assistance loan",
    )


def check_purpose(loan: LoanRequest, policy: PolicyVersion) -> RuleResult:
    ok = loan.purpose in policy.productive_purposes and loan.purpose not in policy.refused_purposes
    return rule(
        "productive_purpose",
        "1.8",
        ok,
        "贷款用于发展生产和开展经营"
        if ok
        else "贷款不能用于结婚、建房、理财、购置家庭用品等非生产性支出，"
        "也不能交由企业或其他组织使用",
        "The loan funds the household's own production or business"
        if ok
        else f"Purpose '{loan.purpose}' is refused: non-productive spending"
        " or use by an enterprise",
    )


def check_age(applicant: Applicant, on: date, policy: PolicyVersion) -> RuleResult:
    age = age_on(applicant.birth_date, on)
    ok = policy.age_min <= age <= policy.age_max
    return rule(
        "age_within_range",
        "1.9",
        ok,
        f"申请人年龄须在{policy.age_min}周岁（含）至{policy.age_max}周岁（含）之间，当前{age}周岁",
        f"The applicant must be aged {policy.age_min}–{policy.age_max} inclusive; is {age}",
    )


def check_capacity(applicant: Applicant) -> RuleResult:
    ok = applicant.full_civil_capacity is True
    unknown = applicant.full_civil_capacity is None
    return rule(
        "full_civil_capacity",
        "1.9",
        ok,
        "申请人具有完全民事行为能力"
        if ok
        else "未记录申请人是否具有完全民事行为能力，请核实后登记"
        if unknown
        else "申请人须具有完全民事行为能力",
        "The applicant has full civil capacity"
        if ok
        else "Whether the applicant has full civil capacity is not recorded: verify and record it"
        if unknown
        else "The applicant must have full civil capacity",
    )


def check_credit_record(applicant: Applicant) -> RuleResult:
    ok = not applicant.major_bad_credit_record
    return rule(
        "no_major_bad_credit",
        "1.9",
        ok,
        "无重大不良信用记录" if ok else "申请人有重大不良信用记录",
        "No major bad credit record" if ok else "The applicant has a major bad credit record",
    )


def check_labor_skills(applicant: Applicant) -> RuleResult:
    ok = applicant.has_labor_skills is True
    unknown = applicant.has_labor_skills is None
    return rule(
        "labor_skills",
        "1.9",
        ok,
        "具有劳动生产技能"
        if ok
        else "未记录申请人是否具有劳动生产技能，请核实后登记"
        if unknown
        else "申请人须有劳动生产技能和还款能力",
        "The applicant has labour skills"
        if ok
        else "Whether the applicant has labour skills is not recorded: verify and record it"
        if unknown
        else "The applicant must have labour skills and repayment capacity",
    )


def check_rating(rating: RatingFacts | None, on: date) -> RuleResult:
    ok = rating is not None and rating.valid_until >= on
    return rule(
        "rating_valid",
        "1.9",
        ok,
        "已通过银行评级授信且在有效期内" if ok else "须通过银行评级授信，且评级在申请日有效",
        "The household holds a valid bank rating"
        if ok
        else "The household needs a bank credit rating valid on the application date",
    )


def check_credit_line(rating: RatingFacts | None, loan: LoanRequest) -> RuleResult:
    ok = rating is not None and rating.credit_limit >= loan.amount
    limit = rating.credit_limit if rating is not None else Decimal(0)
    return rule(
        "credit_line_covers_amount",
        "1.9",
        ok,
        f"贷款金额不得超过授信额度{limit}元",
        f"The amount {loan.amount} must not exceed the credit line {limit}",
    )


def suspended_counties(household: HouseholdFacts) -> list[str]:
    """Clause 4.3: the counties, of the booking county and the borrower's roster county, where
    new assistance lending is suspended."""
    found = [household.region_code] if household.region_suspended else []
    roster = household.roster_region_code
    if household.roster_region_suspended and roster is not None and roster not in found:
        found.append(roster)
    return found


def check_region(household: HouseholdFacts) -> RuleResult:
    """Clause 4.3: no new lending — application, decision, contract or disbursement — where
    either the county the household is booked in or the borrower's roster county (registered
    residence) is suspended, so that booking in a neighbouring open county does not get
    around a suspension."""
    suspended = suspended_counties(household)
    ok = not suspended
    where = "、".join(suspended)
    return rule(
        "region_not_suspended",
        "4.3",
        ok,
        "所在地区未暂停发放"
        if ok
        else f"借款户所在地区（{where}）逾期或不良率畸高，已暂停发放帮扶小额信贷",
        "New lending is open in the region"
        if ok
        else f"New assistance lending is suspended in region {', '.join(suspended)}",
    )


def evaluate(facts: EligibilityInput) -> Eligibility:
    """Every rule, each with its clause; eligible only if all pass."""
    policy = policy_for(facts.application_date)
    results = [
        check_roster(facts.household),
        check_one_loan(facts.household),
        check_amount(facts.loan, policy),
        check_term(facts.loan, policy),
        check_guarantee(facts.loan, policy),
        check_purpose(facts.loan, policy),
        check_age(facts.applicant, facts.application_date, policy),
        check_capacity(facts.applicant),
        check_credit_record(facts.applicant),
        check_labor_skills(facts.applicant),
        check_rating(facts.rating, facts.application_date),
        check_credit_line(facts.rating, facts.loan),
        check_region(facts.household),
    ]
    return Eligibility(
        eligible=all(r.passed for r in results), policy_version=policy.code, rules=results
    )


def check_investigation(confirmed: bool) -> RuleResult:
    """Clause 4.1: a decision rests on a pre-loan investigation that confirmed a real need and
    a lawful project."""
    return rule(
        "pre_loan_investigation",
        "4.1",
        confirmed,
        "已完成贷前调查，确认融资需求真实、项目合规"
        if confirmed
        else "须先完成贷前调查并确认融资需求真实、生产经营项目合规",
        "A pre-loan investigation confirmed a real need and a lawful project"
        if confirmed
        else "A pre-loan investigation confirming a real need and a lawful project is required"
        " before a decision",
    )


def check_within_requested(approved: Decimal, requested: Decimal) -> RuleResult:
    """Clause 1.9 (real production need): the bank lends no more than was asked for."""
    ok = approved <= requested
    return rule(
        "approved_within_requested",
        "1.9",
        ok,
        "批准金额不超过申请金额" if ok else "批准金额不得超过申请金额",
        "The approved amount is within the amount applied for"
        if ok
        else "The approved amount cannot exceed the amount applied for",
    )
