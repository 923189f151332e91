"""Renewal (续贷) and extension (展期): notice 2.3 and 4.2, and 《贷款通则》 article 12.

* Once per loan chain (2.3). A legacy loan (signed before the notice, including 2026-01-01 to
  02-23) that matures after the transition period, never renewed or extended, may also do it
  once; its renewal or extension runs the 2026 eligibility and its new period is governed by
  the 2026 terms (2.3, 5.2).
* A renewal may be requested from 30 days before maturity; renewing a performing loan (nothing
  overdue but the principal the renewal takes over, no misuse, interest settled) is not a
  restructuring (3.1).
* A borrower removed from the roster keeps the loan to maturity but cannot renew; further
  credit moves to an ordinary farmer loan (农户贷款) (4.2).
* Diversion or non-productive use found in monitoring and not corrected blocks it (4.2).
* Extension length: original term ≤ 12 months → at most the original term; 13–36 months →
  at most half of it (《贷款通则》 art. 12).
* Granted to a borrower with anything overdue, it is a restructuring (risk class floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from app.domain.eligibility import LISTED, RosterStatus
from app.domain.policy import (
    CURRENT,
    NOTICE_DATE,
    TRANSITION_END,
    PolicyVersion,
    is_legacy,
    policy_by_code,
)
from app.domain.rules import RuleResult, rule


class ChainAction(StrEnum):
    renewal = "renewal"
    extension = "extension"


@dataclass(frozen=True, slots=True)
class LoanChainFacts:
    policy_version: str
    issue_date: date
    maturity_date: date
    original_term_months: int
    renewals_or_extensions_in_chain: int
    roster_status: RosterStatus
    unresolved_misuse: bool
    any_amount_overdue: bool


@dataclass(frozen=True, slots=True)
class ChainDecision:
    allowed: bool
    governing_policy: str
    restructuring: bool
    rules: list[RuleResult]


def runs_new_notice_eligibility(policy_version: str, action: ChainAction) -> bool:
    """2.3 and 5.2: a renewal (a new loan) and a legacy loan's renewal or extension run the
    full 2026 eligibility, and their new period is governed by the 2026 terms. An extension of
    a loan already under the 2026 terms stays under its own contract."""
    return action is ChainAction.renewal or is_legacy(policy_by_code(policy_version))


def max_extension_months(original_term_months: int) -> int:
    if original_term_months <= 12:
        return original_term_months
    return original_term_months // 2


def _allowance(facts: LoanChainFacts, policy: PolicyVersion) -> RuleResult:
    used = facts.renewals_or_extensions_in_chain
    if is_legacy(policy):
        # 2.3 and 5.2: signed in the transition period or before the notice (2026-01-01 to
        # 02-23 included), maturing after the transition period, never renewed or extended.
        ok = used == 0 and facts.issue_date < NOTICE_DATE and facts.maturity_date > TRANSITION_END
        return rule(
            "legacy_allowance",
            "2.3",
            ok,
            "过渡期内发放、过渡期后到期且未续贷展期的脱贫人口小额信贷可续贷或展期1次，按本通知执行"
            if ok
            else "该笔脱贫人口小额信贷不符合过渡期后续贷或展期1次的条件",
            "A legacy loan signed before the notice and maturing after 2025-12-31, never"
            " renewed or extended, may be renewed or extended once under the 2026 terms"
            if ok
            else "This legacy loan does not qualify: it was already renewed or extended,"
            " or matured within the transition period",
        )
    ok = used < CURRENT.renewals_or_extensions_allowed
    return rule(
        "once_per_chain",
        "2.3",
        ok,
        "帮扶小额信贷可续贷或展期1次" if ok else "该笔贷款已续贷或展期过1次，不能再次办理",
        "An assistance loan may be renewed or extended once"
        if ok
        else "This loan chain has already been renewed or extended once",
    )


def _on_roster(facts: LoanChainFacts) -> RuleResult:
    ok = facts.roster_status in LISTED
    return rule(
        "borrower_on_roster",
        "4.2",
        ok,
        "借款人仍在帮扶人口名单内"
        if ok
        else "借款人已被调出帮扶人口名单：原贷款到期后仍有融资需求的，转为农户贷款办理",
        "The borrower is still on the roster"
        if ok
        else "The borrower has left the roster: the loan runs to maturity unchanged, and further"
        " credit is an ordinary farmer loan (农户贷款), not a renewal",
    )


def _no_misuse(facts: LoanChainFacts) -> RuleResult:
    ok = not facts.unresolved_misuse
    return rule(
        "no_unresolved_misuse",
        "4.2",
        ok,
        "贷后检查未发现未纠正的资金挪用" if ok else "贷后检查发现户贷企用或非生产性使用且未纠正",
        "No uncorrected misuse of funds found in monitoring"
        if ok
        else "Monitoring found the funds diverted or used non-productively, not yet corrected",
    )


def _extension_length(facts: LoanChainFacts, months: int) -> RuleResult:
    limit = max_extension_months(facts.original_term_months)
    ok = 1 <= months <= limit
    return rule(
        "extension_length",
        "2.3",
        ok,
        f"展期期限须在1至{limit}个月之间（《贷款通则》第十二条）",
        f"The extension must be 1–{limit} months for an original term of"
        f" {facts.original_term_months} months (General Rules on Loans, art. 12)",
    )


def evaluate(
    facts: LoanChainFacts, action: ChainAction, extension_months: int | None = None
) -> ChainDecision:
    """Every rule for a renewal or extension; the result is governed by the 2026 terms."""
    policy = policy_by_code(facts.policy_version)
    results = [_allowance(facts, policy), _on_roster(facts), _no_misuse(facts)]
    if action is ChainAction.extension:
        results.append(_extension_length(facts, extension_months or 0))
    return ChainDecision(
        allowed=all(r.passed for r in results),
        governing_policy=CURRENT.code,
        restructuring=facts.any_amount_overdue,
        rules=results,
    )


def check_extension_before_maturity(open_date: date, maturity: date) -> RuleResult:
    ok = open_date < maturity
    return rule(
        "extension_before_maturity",
        "2.3",
        ok,
        "展期须在贷款到期日之前申请（《贷款通则》第十二条）",
        "An extension is requested before the loan matures (General Rules on Loans, art. 12)",
    )


RENEWAL_WINDOW_DAYS = 30  # a renewal may be requested from this many days before maturity


def check_renewal_window(open_date: date, maturity: date) -> RuleResult:
    """2.3 (及时为符合条件的贷款户办理续贷): from 30 days before maturity; the new loan replaces
    the old one on the day the renewal is decided."""
    opens = maturity - timedelta(days=RENEWAL_WINDOW_DAYS)
    ok = open_date >= opens
    return rule(
        "renewal_window",
        "2.3",
        ok,
        f"续贷可在到期日前{RENEWAL_WINDOW_DAYS}天内办理（自{opens}起）",
        f"A renewal may be requested from {RENEWAL_WINDOW_DAYS} days before maturity"
        f" ({opens}; the loan matures {maturity})",
    )


def check_renewal_at_maturity(open_date: date, maturity: date) -> RuleResult:
    """2.3: a renewal requested within the window is decided when the loan matures: the new
    loan takes over the principal that falls due."""
    ok = open_date >= maturity
    return rule(
        "renewal_at_maturity",
        "2.3",
        ok,
        f"续贷在原贷款到期（{maturity}）时审批生效",
        f"A renewal is decided when the loan matures ({maturity})",
    )


def in_difficulty(
    days_past_due: int,
    overdue_principal: Decimal,
    overdue_interest: Decimal,
    penalty: Decimal,
    renewed_principal_due: Decimal = Decimal(0),
) -> bool:
    """3.1: a renewal or extension is a restructuring when the borrower is in difficulty —
    anything overdue on a closed business day. For a renewal, the principal that fell due at
    maturity and that the renewal takes over is not 'overdue' while no closed day has counted
    it past due: a decision the business day after maturity does not make a performing
    borrower a restructured one; a borrower already days late is in difficulty."""
    return (
        days_past_due > 0
        or overdue_interest > 0
        or penalty > 0
        or overdue_principal - renewed_principal_due > 0
    )


def check_interest_settled(unpaid_interest: Decimal, penalty: Decimal) -> RuleResult:
    ok = unpaid_interest == 0 and penalty == 0
    return rule(
        "interest_settled",
        "2.3",
        ok,
        "续贷前须结清利息和罚息" if ok else f"须先结清应付利息{unpaid_interest}元和罚息{penalty}元",
        "Interest and penalty are settled; only principal is renewed"
        if ok
        else f"Settle the interest ({unpaid_interest}) and penalty ({penalty}) first;"
        " a renewal carries principal only",
    )
