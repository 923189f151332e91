"""Portfolio quality (3.1, 4.4) and risk compensation (4.4): the five classes, overdue and
non-performing balances by county, the tolerance test against the bank's NPL ratio, and what a
county's fund pays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import column, func, select, table, text
from sqlalchemy.orm import Session

from app.core.auth import Principal
from app.core.i18n import Said
from app.core.problems import Problem
from app.core.settings import get_settings
from app.domain import portfolio
from app.domain.money import ZERO
from app.regions import service as regions
from app.regions.models import Region, RegionDailyStat
from app.reports.periods import Period
from app.reports.service import NPL_CLASSES, counties, require_closed


def bank_npl_ratio(as_of: date, given: Decimal | None) -> Decimal | None:
    """The bank-wide NPL ratio: the query's, else the configured series' latest on or before."""
    if given is not None:
        return given
    series = []
    for item in filter(None, (x.strip() for x in get_settings().bank_npl_ratios.split(","))):
        day, _, value = item.partition(":")
        series.append((date.fromisoformat(day), Decimal(value)))
    known = [value for day, value in sorted(series) if day <= as_of]
    return known[-1] if known else None


def compensation_funds() -> dict[str, Decimal]:
    funds = {}
    for item in filter(
        None, (x.strip() for x in get_settings().risk_compensation_funds.split(","))
    ):
        code, _, share = item.partition(":")
        funds[code] = Decimal(share)
    return funds


@dataclass
class Quality:
    as_of: date
    stats: list[RegionDailyStat]
    not_closed: list[str]
    tolerance: portfolio.Tolerance | None
    # principal written off in the tested period, by county (3.1, 4.4: it counts as NPL there)
    written_off: dict[str, Decimal]


def portfolio_quality(
    session: Session,
    principal: Principal,
    as_of: date,
    bank_npl: Decimal | None,
    region: str | None,
    since: date | None = None,
) -> Quality:
    codes = counties(session, principal, region)
    stats = list(
        session.scalars(
            select(RegionDailyStat)
            .where(RegionDailyStat.business_date == as_of, RegionDailyStat.region_code.in_(codes))
            .order_by(RegionDailyStat.region_code)
        )
    )
    closed = {s.region_code for s in stats}
    balance = sum((s.balance for s in stats), ZERO)
    npl = sum((s.npl_balance for s in stats), ZERO)
    # the period the tolerance is tested over: the month of `as_of`, unless a claim says
    written_off = written_off_by_county(session, codes, since or as_of.replace(day=1), as_of)
    bank = bank_npl_ratio(as_of, bank_npl)
    tolerance = (
        portfolio.npl_tolerance(
            portfolio.period_npl_ratio(npl, balance, sum(written_off.values(), ZERO)), bank
        )
        if bank is not None
        else None
    )
    return Quality(as_of, stats, [c for c in codes if c not in closed], tolerance, written_off)


# collections owns write-offs; a report reads them as it reads them in _NPL_LOANS below
_WRITE_OFFS = table(
    "write_offs",
    column("region_code"),
    column("status"),
    column("written_off_on"),
    column("principal"),
)


def written_off_by_county(
    session: Session, codes: list[str], start: date, end: date
) -> dict[str, Decimal]:
    """The principal each county wrote off between `start` and `end` (2.1)."""
    w = _WRITE_OFFS.c
    rows = session.execute(
        select(w.region_code, func.sum(w.principal))
        .where(w.status == "approved", w.written_off_on.between(start, end))
        .where(w.region_code.in_(codes))
        .group_by(w.region_code)
    )
    return {code: total for code, total in rows}


def region_flags(session: Session, codes: list[str]) -> dict[str, tuple[bool, bool, str]]:
    rows = session.execute(select(Region.code, Region.lending_status).where(Region.code.in_(codes)))
    statuses = {code: status for code, status in rows}
    flags = {}
    for code in codes:
        _, found = regions.assess(session, code)
        flags[code] = (
            bool(found and found.alert),
            bool(found and found.suspension_recommended),
            statuses.get(code, "open"),
        )
    return flags


# NPL loans at the period's end, and loans written off in the period (2.1: the loss realised;
# off the balance sheet, so in no month-end total): both are what the fund compensates (4.4).
_NPL_LOANS = text("""
SELECT t.region_code, t.loan_id, m.name || ' ' || m.id_masked AS borrower, t.risk_class,
       t.principal_outstanding
FROM loan_month_totals t
JOIN loans l ON l.id = t.loan_id
JOIN members m ON m.id = l.borrower_member_id
WHERE t.month_end = :month_end AND t.region_code = ANY(:regions)
  AND t.risk_class = ANY(:npl) AND t.principal_outstanding > 0
UNION ALL
SELECT w.region_code, w.loan_id, m.name || ' ' || m.id_masked, 'written_off', w.principal
FROM write_offs w
JOIN loans l ON l.id = w.loan_id
JOIN members m ON m.id = l.borrower_member_id
WHERE w.status = 'approved' AND w.written_off_on BETWEEN :start AND :month_end
  AND w.region_code = ANY(:regions) AND w.principal > 0
ORDER BY 1, 2
""")


@dataclass
class FundClaim:
    region_code: str
    fund_share: Decimal
    tolerance: portfolio.Tolerance
    npl_principal: Decimal = ZERO
    claimable: Decimal = ZERO


def risk_compensation(
    session: Session, principal: Principal, period: Period, bank_npl: Decimal | None
) -> tuple[Quality, list[FundClaim], list[dict[str, object]]]:
    """NPL loans at the period's end in counties with a fund, claimable by the fund's share
    when the product's NPL ratio *in the fund's county* is within the tolerance (4.4, 3.1): the
    answer for a county never depends on the caller's scope."""
    codes = counties(session, principal, None)
    require_closed(session, codes, period.end)
    quality = portfolio_quality(session, principal, period.end, bank_npl, None, period.start)
    if quality.tolerance is None:
        raise Problem(
            422,
            Said(
                "该日没有全行不良贷款率：请传入 bank_npl_ratio 或配置 BANK_NPL_RATIOS",
                "No bank-wide NPL ratio for the date: pass bank_npl_ratio or configure"
                " BANK_NPL_RATIOS",
            ),
            slug="validation-error",
        )
    bank = quality.tolerance.bank_npl_ratio
    funds = compensation_funds()
    by_county = {s.region_code: s for s in quality.stats}
    claims = {
        code: FundClaim(
            code,
            funds[code],
            portfolio.npl_tolerance(
                portfolio.period_npl_ratio(
                    by_county[code].npl_balance if code in by_county else ZERO,
                    by_county[code].balance if code in by_county else ZERO,
                    quality.written_off.get(code, ZERO),
                ),
                bank,
            ),
        )
        for code in codes
        if code in funds
    }
    lines = []
    for row in (
        session.execute(
            _NPL_LOANS,
            {
                "start": period.start,
                "month_end": period.end,
                "regions": list(claims),
                "npl": NPL_CLASSES,
            },
        )
        if claims
        else []
    ):
        claim = claims[row.region_code]
        claimable = portfolio.compensation(
            row.principal_outstanding, claim.fund_share, claim.tolerance
        )
        claim.npl_principal += row.principal_outstanding
        claim.claimable += claimable
        lines.append(
            {
                "region_code": row.region_code,
                "loan_id": row.loan_id,
                "borrower": row.borrower,
                "risk_class": row.risk_class,
                "principal_outstanding": row.principal_outstanding,
                "fund_share": claim.fund_share,
                "claimable": claimable,
            }
        )
    return quality, list(claims.values()), lines
