"""The claim form (申领表, issue 18) without its lines (issue 29): each county's sums over the
loans it claims for (balances at the period's start and end, interest accrued and collected in
it), in one statement, rather than a row per loan added up in Python. A county's form is then
read in a fraction of the time its lines take; `tests/api/test_reports.py` holds these sums
equal to the form written with its lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.reports.periods import Period
from app.reports.service import (
    CLAIM_DELTAS,
    FACT_CTES,
    INTEREST_DUE,
    CountyClaim,
    LoanFacts,
    claim_params,
)


@dataclass(frozen=True, slots=True)
class ClaimedSums:
    """A county's sums over the loans its claim is for."""

    balance_start: Decimal = ZERO
    balance_end: Decimal = ZERO
    interest_due: Decimal = ZERO
    interest_paid: Decimal = ZERO

    @classmethod
    def of(cls, facts: list[LoanFacts]) -> ClaimedSums:
        """The same sums from the loans' own facts (the form written with its lines)."""
        return cls(
            sum((f.balance_start for f in facts), ZERO),
            sum((f.balance_end for f in facts), ZERO),
            sum((f.interest_due for f in facts), ZERO),
            sum((f.interest_paid for f in facts), ZERO),
        )


# The loans a claim is for: a draft's, those with a non-zero line (as its lines are); a
# submitted claim's, its frozen lines. Their facts as app/reports/service._FACTS reads them.
_SUMS = text(
    CLAIM_DELTAS
    + f""", claimed AS (
    SELECT region_code, loan_id FROM deltas
    WHERE region_code = ANY(:drafts)
      AND (central_subsidy <> 0 OR central_adjustment <> 0
           OR local_subsidy <> 0 OR local_adjustment <> 0)
    UNION ALL
    SELECT c.region_code, x.loan_id
    FROM subsidy_claim_lines x JOIN subsidy_claims c ON c.id = x.claim_id
    WHERE c.id = ANY(:frozen)
), {FACT_CTES}
SELECT c.region_code,
       COALESCE(sum(fact_start.principal_outstanding), 0) AS balance_start,
       COALESCE(sum(fact_end.principal_outstanding), 0) AS balance_end,
       COALESCE(sum({INTEREST_DUE}), 0) AS interest_due,
       COALESCE(sum(fact_paid.paid), 0) AS interest_paid
FROM claimed c
LEFT JOIN fact_start USING (loan_id)
LEFT JOIN fact_end USING (loan_id)
LEFT JOIN fact_closing USING (loan_id)
LEFT JOIN fact_paid USING (loan_id)
GROUP BY c.region_code
"""
)


def claimed_sums(
    session: Session, claims: list[CountyClaim], period: Period
) -> dict[str, ClaimedSums]:
    """Each county's sums over the loans its claim (draft or submitted) is for."""
    if not claims:
        return {}
    params = claim_params([c.region_code for c in claims], period)
    params["drafts"] = [c.region_code for c in claims if c.claim_id is None]
    frozen: list[uuid.UUID] = [c.claim_id for c in claims if c.claim_id is not None]
    params["frozen"] = frozen
    rows = session.execute(_SUMS, params)
    return {
        row.region_code: ClaimedSums(
            row.balance_start, row.balance_end, row.interest_due, row.interest_paid
        )
        for row in rows
    }
