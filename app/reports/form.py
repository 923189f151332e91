"""The claim form (申领表, issue 18): its lines with the facts of each loan beside them, and,
without its lines (issue 29), each county's sums over the loans it claims for (balances at the
period's start and end, interest accrued and collected in it) in one statement, rather than a
row per loan added up in Python. `tests/api/test_claim_form.py` holds these sums equal to the
form written with its lines, for a draft and a submitted claim.

With its lines, the form is written as PostgreSQL sends them (`sheet_lines`, a draft's streamed
while the server still probes for the rest), and each county's sums, and a draft's loans and
subsidy, are tallied from the chunks the sheet writes (`Tally`): one county's 10,000 lines at a
province's size take about 0.25 s in all, the server and the writer each busy on a core."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import groupby, islice
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.db import CompiledStatement
from app.domain.money import ZERO
from app.reports.periods import Period
from app.reports.service import (
    BORROWER,
    CLAIM_DELTAS,
    CLAIMED,
    FACT_CTES,
    FACT_PAID,
    INTEREST_DUE,
    CountyClaim,
    claim_params,
)


class SheetLine(NamedTuple):
    """A claimed loan's line on the form (明细), in the sheet's order of columns, as the
    statements below give it."""

    region_code: str
    household_region: str | None  # the county the household is registered in
    status: str  # the claim's: draft, submitted or paid
    contract: str  # its contract number, or the loan's id without one
    borrower: str
    policy_version: str
    principal: Decimal
    value_date: date | None
    term_months: int
    annual_rate: Decimal
    balance_start: Decimal
    balance_end: Decimal
    interest_due: Decimal  # contractual interest accrued in the period
    interest_paid: Decimal  # interest of every kind collected in the period, reversals netted
    central_subsidy: Decimal
    local_subsidy: Decimal
    central_adjustment: Decimal
    local_adjustment: Decimal


# What the form shows of the loan (`l`): its household's county probed by key (joined, the
# planner hashed every household in the province to find a county's), its contract number (or,
# without one, its id) and its terms.
_HOUSEHOLD = """(SELECT h.region_code FROM households h WHERE h.id = l.household_id)
           AS household_region"""
_TERMS = "l.principal, l.value_date, l.term_months, l.annual_rate"


def _contract(loan_id: str) -> str:
    return f"COALESCE(NULLIF(l.contract_number, ''), {loan_id}::text) AS contract"


# A draft's lines: its deltas carry the balances and the interest accrued, so the month-end
# totals are read once. The deltas are put in order first, then the loan, its borrower and
# the interest collected are probed by key in that order: PostgreSQL sends the first lines
# while it still probes for the rest (the form writes them meanwhile), where a sort at the end
# held every line back until the last probe.
_DRAFT_LINES = CompiledStatement(
    text(
        CLAIM_DELTAS
        + f""", {FACT_PAID}
SELECT d.region_code, {_HOUSEHOLD}, 'draft' AS status, {_contract("d.loan_id")},
       {BORROWER} AS borrower, l.policy_version, {_TERMS},
       d.balance_start, d.balance_end, d.interest_due,
       COALESCE((SELECT paid FROM fact_paid WHERE fact_paid.loan_id = d.loan_id), 0)
           AS interest_paid,
       d.central_subsidy, d.local_subsidy, d.central_adjustment, d.local_adjustment
FROM (SELECT * FROM deltas d WHERE {CLAIMED} ORDER BY d.region_code, d.loan_id) d
JOIN loans l ON l.id = d.loan_id
JOIN members m ON m.id = l.borrower_member_id
ORDER BY d.region_code, d.loan_id
"""
    ),
    SheetLine,
)
# A submitted claim's frozen lines, with the same facts.
_FROZEN_LINES = CompiledStatement(
    text(f"""
WITH {FACT_CTES}
SELECT c.region_code, {_HOUSEHOLD}, c.status, {_contract("x.loan_id")},
       x.borrower, x.policy_version, {_TERMS},
       COALESCE(fact_start.principal_outstanding, 0) AS balance_start,
       COALESCE(fact_end.principal_outstanding, 0) AS balance_end,
       {INTEREST_DUE} AS interest_due,
       COALESCE(fact_paid.paid, 0) AS interest_paid,
       x.central_subsidy, x.local_subsidy, x.central_adjustment, x.local_adjustment
FROM subsidy_claim_lines x
JOIN subsidy_claims c ON c.id = x.claim_id
JOIN loans l ON l.id = x.loan_id
LEFT JOIN fact_start USING (loan_id)
LEFT JOIN fact_end USING (loan_id)
LEFT JOIN fact_closing USING (loan_id)
LEFT JOIN fact_paid USING (loan_id)
WHERE c.id = ANY(:frozen)
ORDER BY c.region_code, x.loan_id
"""),
    SheetLine,
)
_STREAMED = 500  # lines PostgreSQL sends at a time: the sheet's chunk (workbook._CHUNK)


def sheet_lines(
    session: Session, claims: list[CountyClaim], period: Period
) -> Generator[SheetLine, None, None]:
    """The claims' lines with their loans' facts, by county and loan, as PostgreSQL sends them
    (a draft's while it still reads the rest; a submitted claim's are read first, a connection
    running one statement at a time). Without JIT: compiling these statements took PostgreSQL
    30 ms of their 150 (at 10,000 lines)."""
    drafts = [c.region_code for c in claims if c.claim_id is None]
    frozen = [c for c in claims if c.claim_id is not None]
    session.execute(text("SET LOCAL jit = off"))
    kept: Iterable[SheetLine] = ()
    if frozen:
        params = claim_params([c.region_code for c in frozen], period)
        params["frozen"] = [c.claim_id for c in frozen]
        kept = _FROZEN_LINES.stream(session, params, _STREAMED)
        if not drafts:
            yield from kept
            return
        kept = list(kept)
    if drafts:
        made = _DRAFT_LINES.stream(session, claim_params(drafts, period), _STREAMED)
        yield from heapq.merge(kept, made, key=_county) if frozen else made


def _county(line: SheetLine) -> str:
    return line.region_code


@dataclass(frozen=True, slots=True)
class ClaimedSums:
    """A county's sums over the loans its claim is for."""

    balance_start: Decimal = ZERO
    balance_end: Decimal = ZERO
    interest_due: Decimal = ZERO
    interest_paid: Decimal = ZERO


# A line's figures that a county's are the sums of (the last of its fields, by name).
_FIGURES = SheetLine._fields[SheetLine._fields.index("balance_start") :]


class Tally:
    """Each county's lines counted and summed as the sheet writes them, a chunk at a time
    (`seen`, given the chunk's values by column, in `SheetLine`'s order): its balances and
    interest (`ClaimedSums`), and a draft's claim (its loans and subsidy) as
    `service.subsidy_claims` would have summed it."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._sums: dict[str, list[Decimal]] = {}

    def seen(self, columns: Sequence[Sequence[Any]]) -> None:
        counties, figures = columns[0], columns[-len(_FIGURES) :]
        start = 0
        for county, run in groupby(counties):
            end = start + len(list(run))
            sums = self._sums.get(county, [ZERO] * len(_FIGURES))
            self._sums[county] = [
                sum(islice(f, start, end), s) for f, s in zip(figures, sums, strict=True)
            ]
            self._counts[county] = self._counts.get(county, 0) + end - start
            start = end

    def _figures(self, county: str) -> dict[str, Decimal]:
        return dict(zip(_FIGURES, self._sums.get(county, [ZERO] * len(_FIGURES)), strict=True))

    def sums(self) -> dict[str, ClaimedSums]:
        sums = {}
        for county in self._sums:
            figures = self._figures(county)
            sums[county] = ClaimedSums(
                figures["balance_start"],
                figures["balance_end"],
                figures["interest_due"],
                figures["interest_paid"],
            )
        return sums

    def claimed(self, claim: CountyClaim) -> CountyClaim:
        """A draft claim with its loans and subsidy those of its lines (none: zero)."""
        figures = self._figures(claim.region_code)
        return replace(
            claim,
            loans=self._counts.get(claim.region_code, 0),
            central_subsidy=figures["central_subsidy"],
            local_subsidy=figures["local_subsidy"],
            central_adjustment=figures["central_adjustment"],
            local_adjustment=figures["local_adjustment"],
        )


# The loans a claim is for: a draft's, those with a non-zero line (as its lines are); a
# submitted claim's, its frozen lines. Their facts as `_FROZEN_LINES` reads them.
_SUMS = text(
    CLAIM_DELTAS
    + f""", claimed AS (
    SELECT region_code, loan_id FROM deltas d
    WHERE region_code = ANY(:drafts) AND {CLAIMED}
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
