"""Reports for finance departments and regulators: subsidy claims (3.3), portfolio quality and
the NPL tolerance (3.1), risk compensation (1.7, 4.4), and the data-sharing export (3.4).

All figures come from what the daily batch wrote: month-end loan totals and the regions'
daily figures. A period is reported only once every county in it has closed its last day,
so a report never changes after the fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import psycopg
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch.models import RegionBusinessDate
from app.core import csvsafe
from app.core.auth import Principal
from app.core.db import CompiledStatement, get_sessionmaker
from app.core.i18n import Said
from app.core.problems import conflict, not_found
from app.core.scoping import readable, within
from app.domain.classification import RiskClass
from app.domain.money import ZERO
from app.jobs.models import JobKind
from app.jobs.service import Outcome, Run, handles
from app.reports import periods
from app.reports.models import SubsidyClaim, SubsidyClaimLine
from app.reports.periods import Period

NPL_CLASSES = [c.value for c in RiskClass if c.non_performing]


@dataclass
class ClaimLine:
    region_code: str
    loan_id: uuid.UUID
    borrower: str
    policy_version: str
    central_subsidy: Decimal
    local_subsidy: Decimal
    central_adjustment: Decimal
    local_adjustment: Decimal


@dataclass
class CountyClaim:
    region_code: str
    status: str
    claim_id: uuid.UUID | None
    lines: list[ClaimLine] = field(default_factory=list)
    loans: int = 0
    central_subsidy: Decimal = ZERO
    local_subsidy: Decimal = ZERO
    central_adjustment: Decimal = ZERO
    local_adjustment: Decimal = ZERO
    paid_central: Decimal | None = None
    paid_local: Decimal | None = None
    paid_on: date | None = None


def counties(session: Session, principal: Principal, region: str | None) -> list[str]:
    """Counties with serviced loans, within the caller's scope and the requested prefix."""
    query = select(RegionBusinessDate.region_code).order_by(RegionBusinessDate.region_code)
    if region is not None:
        query = query.where(within(RegionBusinessDate.region_code, region))
    return list(session.scalars(readable(query, principal, RegionBusinessDate.region_code)))


def require_closed(session: Session, codes: list[str], through: date) -> None:
    found = session.execute(
        select(RegionBusinessDate.region_code, RegionBusinessDate.open_date).where(
            RegionBusinessDate.region_code.in_(codes)
        )
    )
    open_dates = {code: day for code, day in found}
    unknown = sorted(c for c in codes if c not in open_dates)
    if unknown:
        raise conflict(
            Said(
                f"以下地区没有在管贷款：{'、'.join(unknown[:10])}",
                f"No loans are serviced in {', '.join(unknown[:10])}",
            ),
            slug="nothing-serviced",
        )
    behind = sorted(c for c in codes if open_dates[c] <= through)
    if behind:
        raise conflict(
            Said(
                f"以下地区尚未完成 {through} 的日终：{'、'.join(behind[:10])}"
                + ("等" if len(behind) > 10 else ""),
                f"{through} is not closed yet in {', '.join(behind[:10])}"
                + (" and more" if len(behind) > 10 else ""),
            ),
            slug="period-not-closed",
        )


# Per loan, a period's accruals telescope: the loan's last month-end total in the period minus
# its total at the previous period's end. A loan's last total is the period's final month end,
# or, if it closed during the period, the end of the month it closed in.
# A loan that closed in the period: the totals of the month it closed in, its last.
_CLOSED_IN_PERIOD = """\
    FROM loans l
    JOIN loan_month_totals t
      ON t.loan_id = l.id
     AND t.month_end = CAST(date_trunc('month', l.closed_on) + interval '1 month - 1 day'
                            AS date)
    WHERE l.closed_on BETWEEN :start AND :end AND l.region_code = ANY(:regions)
      AND t.month_end < :last_end"""

# The loan's balances and interest ride along for the form's lines (app/reports/form.py): its
# balance at the previous period's end and at this one's (none once closed), and its interest
# accrued in the period, as FACT_CTES below reads them.
CLAIM_DELTAS = f"""
WITH last AS (
    SELECT loan_id, region_code, central_subsidy, local_subsidy, interest,
           principal_outstanding AS balance_end
    FROM loan_month_totals
    WHERE month_end = :last_end AND region_code = ANY(:regions)
    UNION ALL
    SELECT t.loan_id, t.region_code, t.central_subsidy, t.local_subsidy, t.interest,
           0 AS balance_end
{_CLOSED_IN_PERIOD}
), prev AS (
    SELECT loan_id, central_subsidy, local_subsidy, interest, principal_outstanding
    FROM loan_month_totals
    WHERE month_end = :prev_end AND region_code = ANY(:regions)
), adjustments AS (
    SELECT loan_id, sum(central_subsidy) AS central, sum(local_subsidy) AS local
    FROM accruals
    WHERE kind <> 'daily' AND region_code = ANY(:regions)
      AND business_date BETWEEN :start AND :end
    GROUP BY loan_id
), deltas AS (
    SELECT last.region_code, last.loan_id,
           last.central_subsidy - COALESCE(prev.central_subsidy, 0)
               - COALESCE(a.central, 0) AS central_subsidy,
           last.local_subsidy - COALESCE(prev.local_subsidy, 0)
               - COALESCE(a.local, 0) AS local_subsidy,
           COALESCE(a.central, 0) AS central_adjustment,
           COALESCE(a.local, 0) AS local_adjustment,
           COALESCE(prev.principal_outstanding, 0) AS balance_start,
           last.balance_end,
           last.interest - COALESCE(prev.interest, 0) AS interest_due
    FROM last
    LEFT JOIN prev USING (loan_id)
    LEFT JOIN adjustments a USING (loan_id)
)
"""
# A draft claims for the loans whose line is not all zero; its borrower as the line shows him.
CLAIMED = """(d.central_subsidy <> 0 OR d.central_adjustment <> 0
   OR d.local_subsidy <> 0 OR d.local_adjustment <> 0)"""
BORROWER = "m.name || ' ' || m.id_masked"

_LINES = (
    CLAIM_DELTAS
    + f"""
SELECT d.region_code, d.loan_id, {BORROWER} AS borrower, l.policy_version,
       d.central_subsidy, d.local_subsidy, d.central_adjustment, d.local_adjustment
FROM deltas d
JOIN loans l ON l.id = d.loan_id
JOIN members m ON m.id = l.borrower_member_id
WHERE {CLAIMED}
ORDER BY d.region_code, d.loan_id
"""
)

_TOTALS = (
    CLAIM_DELTAS
    + f"""
SELECT region_code, count(*) FILTER (WHERE {CLAIMED}) AS loans,
       sum(central_subsidy) AS central_subsidy, sum(local_subsidy) AS local_subsidy,
       sum(central_adjustment) AS central_adjustment, sum(local_adjustment) AS local_adjustment
FROM deltas d GROUP BY region_code
"""
)


def claim_params(codes: list[str], period: Period) -> dict[str, object]:
    return {
        "regions": codes,
        "last_end": period.month_ends[-1],
        "start": period.start,
        "end": period.end,
        "prev_end": period.previous.end,
    }


def computed_lines(session: Session, codes: list[str], period: Period) -> list[ClaimLine]:
    """Per loan: the central and local subsidy accrued in the period (contractual interest on
    the subsidised principal only: never overdue or penalty interest), and pay-off true-ups
    posted in it as adjustments."""
    rows = session.execute(text(_LINES), claim_params(codes, period))
    return [ClaimLine(**row._mapping) for row in rows]


def computed_totals(session: Session, codes: list[str], period: Period) -> dict[str, CountyClaim]:
    claims = {}
    for row in session.execute(text(_TOTALS), claim_params(codes, period)):
        claims[row.region_code] = CountyClaim(
            row.region_code,
            "draft",
            None,
            [],
            row.loans,
            row.central_subsidy,
            row.local_subsidy,
            row.central_adjustment,
            row.local_adjustment,
        )
    return claims


# UTF-8 with a byte-order mark: Excel on Chinese Windows reads it as UTF-8, not as GBK.
CSV_HEADER = (
    b"\xef\xbb\xbfregion_code,status,loan_id,borrower,policy_version,central_subsidy,"
    b"local_subsidy,central_adjustment,local_adjustment\n"
)


def lines_csv(
    session: Session, claims: list[CountyClaim], period: Period, *, header: bool = True
) -> bytes:
    """Every claim's lines as CSV, written by PostgreSQL (COPY): a province's million lines
    are never Python objects."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    out = [CSV_HEADER] if header else []
    drafts = [c.region_code for c in claims if c.claim_id is None]
    frozen = [str(c.claim_id) for c in claims if c.claim_id is not None]
    # COPY takes no server-side parameters: a client-side cursor binds them (psycopg quotes).
    with psycopg.ClientCursor(raw) as cursor:
        if drafts:
            with cursor.copy(_COPY_DRAFT_LINES, claim_params(drafts, period)) as copy:
                out.extend(bytes(chunk) for chunk in copy)
        if frozen:
            with cursor.copy(_COPY_FROZEN_LINES, {"ids": frozen}) as copy:
                out.extend(bytes(chunk) for chunk in copy)
    return b"".join(out)


# The claim CSV's two COPY statements, composed from the constants above only.
_DRAFT_LINES = CompiledStatement(
    text(
        f"SELECT region_code, 'draft', loan_id, {csvsafe.sql_text_cell('borrower')},"
        " policy_version, central_subsidy, local_subsidy, central_adjustment,"
        f" local_adjustment FROM ({_LINES}) lines"
    )
)
_COPY_DRAFT_LINES = f"COPY ({_DRAFT_LINES.sql}) TO STDOUT WITH (FORMAT csv)"
_COPY_FROZEN_LINES = (
    "COPY (SELECT c.region_code, c.status, x.loan_id,"
    f" {csvsafe.sql_text_cell('x.borrower')}, x.policy_version,"
    " x.central_subsidy, x.local_subsidy, x.central_adjustment, x.local_adjustment"
    " FROM subsidy_claim_lines x JOIN subsidy_claims c ON c.id = x.claim_id"
    " WHERE c.id = ANY(%(ids)s::uuid[]) ORDER BY c.region_code, x.loan_id)"
    " TO STDOUT WITH (FORMAT csv)"
)


def _summarise(claim: CountyClaim) -> CountyClaim:
    claim.loans = len(claim.lines)
    claim.central_subsidy = sum((x.central_subsidy for x in claim.lines), ZERO)
    claim.local_subsidy = sum((x.local_subsidy for x in claim.lines), ZERO)
    claim.central_adjustment = sum((x.central_adjustment for x in claim.lines), ZERO)
    claim.local_adjustment = sum((x.local_adjustment for x in claim.lines), ZERO)
    return claim


def subsidy_claims(
    session: Session,
    principal: Principal,
    period: Period,
    region: str | None,
    *,
    with_lines: bool = True,
    drafts_summed: bool = True,
) -> list[CountyClaim]:
    """Each county's claim: the frozen one once submitted, else the draft computed now; with
    `drafts_summed` false and no lines, a draft without its loans and subsidy, which its
    reader sums from the lines it reads (the claim form)."""
    codes = counties(session, principal, region)
    if not codes:
        return []
    require_closed(session, codes, period.end)
    frozen = {
        c.region_code: c
        for c in session.scalars(
            select(SubsidyClaim).where(
                SubsidyClaim.period == period.code, SubsidyClaim.region_code.in_(codes)
            )
        )
    }
    drafts = [c for c in codes if c not in frozen]
    computed: dict[str, CountyClaim] = {c: CountyClaim(c, "draft", None) for c in drafts}
    if drafts and with_lines:
        for line in computed_lines(session, drafts, period):
            computed[line.region_code].lines.append(line)
        computed = {c: _summarise(claim) for c, claim in computed.items()}
    elif drafts and drafts_summed:
        computed.update(computed_totals(session, drafts, period))
    claims = []
    for code in codes:
        stored = frozen.get(code)
        if stored is None:
            claims.append(computed[code])
            continue
        claim = CountyClaim(
            code,
            stored.status,
            stored.id,
            [],
            stored.loans,
            stored.central_subsidy,
            stored.local_subsidy,
            stored.central_adjustment,
            stored.local_adjustment,
            stored.paid_central,
            stored.paid_local,
            stored.paid_on,
        )
        if with_lines:
            claim.lines = [
                ClaimLine(
                    code,
                    x.loan_id,
                    x.borrower,
                    x.policy_version,
                    x.central_subsidy,
                    x.local_subsidy,
                    x.central_adjustment,
                    x.local_adjustment,
                )
                for x in session.scalars(
                    select(SubsidyClaimLine)
                    .where(SubsidyClaimLine.claim_id == stored.id)
                    .order_by(SubsidyClaimLine.loan_id)
                )
            ]
        claims.append(claim)
    return claims


def submit_claim(
    session: Session, principal: Principal, period: Period, region: str
) -> SubsidyClaim:
    """Freeze a county's claim: later corrections go to a later period as adjustments."""
    principal.ensure_region(region, "Region")
    require_closed(session, [region], period.end)
    if session.scalar(
        select(SubsidyClaim.id).where(
            SubsidyClaim.region_code == region, SubsidyClaim.period == period.code
        )
    ):
        raise conflict(
            Said(
                f"{region} 的 {period.code} 贴息申报已提交",
                f"The {period.code} claim of {region} was already submitted",
            ),
            slug="already-submitted",
        )
    claim = _summarise(
        CountyClaim(region, "submitted", None, computed_lines(session, [region], period))
    )
    row = SubsidyClaim(
        id=uuid.uuid4(),
        region_code=region,
        period=period.code,
        period_start=period.start,
        period_end=period.end,
        status="submitted",
        loans=claim.loans,
        central_subsidy=claim.central_subsidy,
        local_subsidy=claim.local_subsidy,
        central_adjustment=claim.central_adjustment,
        local_adjustment=claim.local_adjustment,
        submitted_by=principal.subject,
    )
    session.add(row)
    session.flush()
    session.add_all(
        SubsidyClaimLine(
            claim_id=row.id,
            loan_id=x.loan_id,
            borrower=x.borrower,
            policy_version=x.policy_version,
            central_subsidy=x.central_subsidy,
            local_subsidy=x.local_subsidy,
            central_adjustment=x.central_adjustment,
            local_adjustment=x.local_adjustment,
        )
        for x in claim.lines
    )
    audit.record(
        session,
        principal,
        "subsidy_claim.submit",
        "subsidy_claim",
        row.id,
        region_code=region,
        after={
            "period": period.code,
            "central": str(row.central_subsidy),
            "local": str(row.local_subsidy),
            "loans": row.loans,
        },
    )
    return row


def record_payment(
    session: Session,
    principal: Principal,
    claim_id: uuid.UUID,
    central: Decimal,
    local: Decimal,
    paid_on: date,
    reference: str,
) -> SubsidyClaim:
    row = session.scalars(
        select(SubsidyClaim)
        .where(SubsidyClaim.id == claim_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise not_found("Subsidy claim")
    principal.ensure_region(row.region_code, "Subsidy claim")
    if row.status != "submitted":
        raise conflict(
            Said(
                f"该申报当前状态为 {row.status}，只有已提交的申报才能登记拨付",
                f"The claim is {row.status}; payments are recorded on submitted claims",
            )
        )
    row.status, row.paid_central, row.paid_local = "paid", central, local
    row.paid_on, row.payment_reference, row.recorded_by = paid_on, reference, principal.subject
    audit.record(
        session,
        principal,
        "subsidy_claim.paid",
        "subsidy_claim",
        row.id,
        region_code=row.region_code,
        after={
            "paid_central": str(central),
            "paid_local": str(local),
            "difference_central": str(central - row.central_subsidy - row.central_adjustment),
        },
    )
    return row


def claim_export_name(period: Period, region: str | None) -> str:
    return f"subsidy-claims-{period.code}{'-' + region if region else ''}.csv"


@handles(JobKind.claim_export)
def run_claim_export(run: Run) -> Outcome:
    """A period's claim lines for every county in the job's region, as one CSV file; progress
    by county."""
    period = periods.parse(run.params["period"])
    region = run.params.get("region")
    with get_sessionmaker()() as session:
        claims = subsidy_claims(session, run.principal, period, region, with_lines=False)
        run.progress(0, len(claims))
        parts = [CSV_HEADER]
        for done, claim in enumerate(claims, start=1):
            parts.append(lines_csv(session, [claim], period, header=False))
            run.progress(done, len(claims))
    content = b"".join(parts)
    return Outcome(
        result={
            "period": period.code,
            "counties": len(claims),
            "loans": sum(c.loans for c in claims),
            "central_claimed": str(
                sum((c.central_subsidy + c.central_adjustment for c in claims), ZERO)
            ),
            "local_claimed": str(sum((c.local_subsidy + c.local_adjustment for c in claims), ZERO)),
            "bytes": len(content),
        },
        output=(claim_export_name(period, region), "text/csv; charset=utf-8", content),
    )


# --- the finance departments' claim form (issue 18) ------------------------------------------


@dataclass(frozen=True, slots=True)
class CountyFacts:
    new_loans: int  # disbursed in the period
    closed_loans: int  # repaid, renewed or recovered in the period


# Interest of every kind collected in the period, reversals netted.
FACT_PAID = """fact_paid AS (
    SELECT r.loan_id, sum(r.overdue_interest + r.interest_due + r.prepayment_interest) AS paid
    FROM repayments r JOIN loans l ON l.id = r.loan_id
    WHERE l.region_code = ANY(:regions) AND r.value_date BETWEEN :start AND :end
    GROUP BY r.loan_id
)"""
# A loan's month-end totals are cumulative: the period's interest is the last total less the
# previous period's, a loan that closed in the period taking the total of its closing month.
# The period's facts of each loan of the counties: its month-end totals at the previous period's
# end and at this one's (or the month it closed in), and the interest collected in the period.
FACT_CTES = f"""fact_start AS (
    SELECT loan_id, interest, principal_outstanding FROM loan_month_totals
    WHERE month_end = :prev_end AND region_code = ANY(:regions)
), fact_end AS (
    SELECT loan_id, interest, principal_outstanding FROM loan_month_totals
    WHERE month_end = :last_end AND region_code = ANY(:regions)
), fact_closing AS (
    SELECT t.loan_id, t.interest
{_CLOSED_IN_PERIOD}
), {FACT_PAID}"""
# A loan's period interest: its last total less the previous period's (`f*` as in FACT_CTES).
INTEREST_DUE = (
    "COALESCE(fact_end.interest, fact_closing.interest, 0) - COALESCE(fact_start.interest, 0)"
)

# Each county's loans disbursed and closed in the period, counted by county and day (0038).
_COUNTY_FACTS = text("""
SELECT r.code AS region_code,
       (SELECT count(*) FROM loans l
        WHERE l.region_code = r.code AND l.value_date BETWEEN :start AND :end) AS new_loans,
       (SELECT count(*) FROM loans l
        WHERE l.region_code = r.code AND l.closed_on BETWEEN :start AND :end) AS closed_loans
FROM unnest(CAST(:regions AS text[])) AS r(code)
""")


def county_facts(session: Session, codes: list[str], period: Period) -> dict[str, CountyFacts]:
    rows = session.execute(_COUNTY_FACTS, claim_params(codes, period))
    return {row.region_code: CountyFacts(row.new_loans, row.closed_loans) for row in rows}
