"""How many loans there are by county and status, without counting loans (issue 29).

A list narrowed only by region and status (and the caller's regions) is counted from
`loan_counts`, each county's counts as of its last close, plus `loan_count_changes`, what
changed since: a trigger on loans writes a change for every loan made or moved to another status
or county, and the batch folds a county's changes into its counts when it closes the county's
day (`FOLD_COUNTS`, app/batch/eod.py). Both are read in one statement, so the figure is exact
at every moment: counting a million loans right after the batch had rewritten them all took up
to 1.8 s; this reads a row per county and status.
"""

from __future__ import annotations

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from app.core.auth import Principal
from app.core.scoping import readable, within
from app.loans.models import LoanCount, LoanCountChange


def counted(session: Session, principal: Principal, region: str | None, status: str | None) -> int:
    """The loans within the caller's regions (and `region`) of `status` (any if None)."""
    both = union_all(
        select(LoanCount.region_code, LoanCount.status, LoanCount.loans.label("n")),
        select(LoanCountChange.region_code, LoanCountChange.status, LoanCountChange.change),
    ).subquery()
    query = select(func.coalesce(func.sum(both.c.n), 0))
    if status is not None:
        query = query.where(both.c.status == status)
    if region is not None:
        query = query.where(within(both.c.region_code, region))
    return int(session.scalar(readable(query, principal, both.c.region_code)) or 0)
