"""A county-day's statements (app/batch/eod.py runs them, one transaction per county-day): the
day's accrual, classification, instalments falling due and new cases in one statement that
writes each loan row once; the collection cases due for a look; promises due; month-end totals
and the purge of old daily rows; the county's loan counts; and the county's date moving on.

The rules are the domain's (app/domain), restated in SQL; tests/batch holds each SQL expression
equal to its domain function on the same inputs.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from app.core import clock
from app.core.settings import get_settings
from app.domain.accrual import daily_detail_from
from app.domain.classification import DAYS_PAST_DUE_FLOORS, RiskClass
from app.domain.collections import CloseReason, PromiseStatus, bucket_sql, next_review_sql
from app.domain.loan_status import LoanStatus
from app.domain.money import DAYS_IN_YEAR
from app.regions import service as regions


def _severity_sql(class_column: str) -> str:
    names = ", ".join(f"'{c.value}'" for c in RiskClass)
    return f"COALESCE(array_position(ARRAY[{names}]::text[], {class_column}) - 1, 0)"


def risk_class_sql(dpd: str, override: str, restructure_floor: str, observing: str) -> str:
    """The classification rules of app/domain/classification.py as a SQL expression: the worst
    of the days-past-due floor, an officer's override and, while the restructuring is observed,
    its floor (the class before the change, at least special mention)."""
    names = ", ".join(f"'{c.value}'" for c in RiskClass)
    floor = " ".join(
        f"WHEN {dpd} > {threshold} THEN {cls.severity}" for threshold, cls in DAYS_PAST_DUE_FLOORS
    )
    restructuring = f"CASE WHEN {observing} THEN {_severity_sql(restructure_floor)} ELSE 0 END"
    return (
        f"(ARRAY[{names}]::text[])[GREATEST(CASE {floor} ELSE 0 END, {_severity_sql(override)},"
        f" {restructuring}) + 1]"
    )


ACTIVE = LoanStatus.active.value  # the loans the batch serves

# The loan columns the day's statement writes: no index on loans may cover one of them, so that
# each loan's daily write is a HOT update (tests/batch/test_batch_rules.py holds both).
BATCH_WRITES = frozenset(
    {
        "interest_accrued",
        "central_accrued",
        "local_accrued",
        "penalty_accrued",
        "penalty_outstanding",
        "days_past_due",
        "risk_class",
        "observation_breached",
        "restructured_on",
        "restructure_floor",
        "observation_start",
        "observation_end",
        "overdue_principal",
        "overdue_interest",
        "oldest_overdue_due",
        "current_instalment",
        "current_due_date",
    }
)

# Penalty interest as app/domain/accrual.daily_penalty and daily_misuse_penalty state it
# (PostgreSQL's round() is half away from zero: half-up for these amounts); a test holds the
# SQL equal to the domain on the same inputs.
PENALTY_SQL = f"round({{p}} * {{r}} * (1 + {{m}}) / {DAYS_IN_YEAR}, 2)"
MISUSE_PENALTY_SQL = f"round({{p}} * {{r}} * {{m}} / {DAYS_IN_YEAR}, 2)"

# 1.6 and 3.3: a day is subsidised only while the loan performs — no instalment overdue (unless
# the region decided to subsidise overdue days) and no confirmed misuse from its start. Mirrors
# app/domain/subsidy.subsidy_accrues (a test holds them equal).
SUBSIDY_ACCRUES = (
    "((dpd = 0 OR CAST(:subsidise_overdue_days AS boolean))"
    " AND (subsidy_forfeited_from IS NULL OR CAST(:d AS date) < subsidy_forfeited_from))"
)

# The restructuring is observed through its end date, and for as long as it was breached (the
# loan fell overdue from the observation's start on).
OBSERVING = "(restructured_on IS NOT NULL AND (CAST(:d AS date) <= observation_end OR breached))"


NPL = ", ".join(f"'{c.value}'" for c in RiskClass if c.non_performing)

_CLASS_COLUMNS = ", ".join(f"{c.value}_balance, {c.value}_loans" for c in RiskClass)
_CLASS_SUMS = ", ".join(
    f"COALESCE(sum(principal_outstanding) FILTER (WHERE new_class = '{c.value}'), 0),"
    f" count(*) FILTER (WHERE new_class = '{c.value}')"
    for c in RiskClass
)

# Day k of n of an amount's spread accrues round(A·k/n) − round(A·(k−1)/n): see
# app/domain/accrual.py, which this mirrors (a test holds them equal to the fen).
_SPREAD = "COALESCE(round({a} * k / n, 2) - round({a} * (k - 1) / n, 2), 0)"

# What an instalment leaves unpaid, as app/domain/position.py states it (the batch's rules test
# holds them together): `{i}` is the instalments' alias.
UNPAID_PRINCIPAL_SQL = "({i}.principal_due - {i}.principal_paid)"
UNPAID_INTEREST_SQL = "({i}.interest_due - {i}.interest_paid)"
HAS_UNPAID_SQL = "({i}.principal_due > {i}.principal_paid OR {i}.interest_due > {i}.interest_paid)"


# The county-day in one statement, each loan row written once: the day's accrual, days past due
# and class (with its history), the instalment falling due today (its unpaid amounts become
# overdue tomorrow, the next one becomes current), a case opened for a loan newly past due, and
# the county's figures for the day. `{bucket}` and `{review}` come from the configured buckets.
_DAY = f"""
WITH falling AS (
    -- the county's loans with an instalment falling due today, and the instalment after it
    SELECT f.loan_id, {UNPAID_PRINCIPAL_SQL.format(i="f")} AS principal,
           {UNPAID_INTEREST_SQL.format(i="f")} AS interest,
           {HAS_UNPAID_SQL.format(i="f")} AS unpaid,
           nx.number AS next_number, nx.due_date AS next_due
    FROM loans d
    JOIN instalments f ON f.loan_id = d.id AND f.number = d.current_instalment
    LEFT JOIN instalments nx ON nx.loan_id = f.loan_id AND nx.number = f.number + 1
    WHERE d.region_code = :r AND d.status = '{ACTIVE}' AND d.current_due_date = CAST(:d AS date)
), calc AS (
    SELECT l.id, l.region_code, l.principal_outstanding, l.risk_class AS old_class,
           l.risk_class_override, l.restructured_on, l.restructure_floor, l.observation_end,
           l.subsidy_forfeited_from,
           l.observation_breached
           OR (l.restructured_on IS NOT NULL AND CAST(:d AS date) >= l.observation_start
               AND l.oldest_overdue_due IS NOT NULL) AS breached,
           i.interest_due + i.prepaid_interest - i.accrued_interest_before AS rem_i,
           i.central_share - i.accrued_central_before AS rem_c,
           i.local_share - i.accrued_local_before AS rem_l,
           (CAST(:d AS date) - i.accrual_start) + 1 AS k,
           (i.due_date - i.accrual_start) AS n,
           {PENALTY_SQL.format(p="l.overdue_principal", r="l.annual_rate", m="l.penalty_markup")}
           + CASE WHEN l.misuse_since <= CAST(:d AS date)
                  THEN {
    MISUSE_PENALTY_SQL.format(p="l.misuse_amount", r="l.annual_rate", m="l.misuse_markup")
}
                  ELSE 0 END AS penalty,
           COALESCE(CAST(:d AS date) - l.oldest_overdue_due, 0) AS dpd,
           l.oldest_overdue_due, falling.principal AS falling_principal,
           falling.interest AS falling_interest, falling.unpaid AS falling_unpaid,
           falling.next_number, falling.next_due,
           l.current_instalment, l.current_due_date
    FROM loans l
    LEFT JOIN instalments i
      ON i.loan_id = l.id
     AND i.number = l.current_instalment
                    + CASE WHEN l.current_due_date = CAST(:d AS date) THEN 1 ELSE 0 END
     AND i.accrual_start <= CAST(:d AS date) AND CAST(:d AS date) < i.due_date
    LEFT JOIN falling ON falling.loan_id = l.id
    WHERE l.region_code = :r AND l.status = '{ACTIVE}' AND l.value_date <= CAST(:d AS date)
), amounts AS (
    SELECT calc.*,
           {_SPREAD.format(a="rem_i")} AS interest,
           CASE WHEN {SUBSIDY_ACCRUES} THEN {_SPREAD.format(a="rem_c")} ELSE 0 END AS central,
           CASE WHEN {SUBSIDY_ACCRUES} THEN {_SPREAD.format(a="rem_l")} ELSE 0 END AS local,
           {risk_class_sql("dpd", "risk_class_override", "restructure_floor", OBSERVING)}
               AS new_class,
           restructured_on IS NOT NULL AND CAST(:d AS date) > observation_end AND NOT breached
               AS observed_on_time
    FROM calc
), accrued AS (
    INSERT INTO accruals (business_date, loan_id, kind, region_code, interest,
                          central_subsidy, local_subsidy, borrower_interest, penalty)
    SELECT :d, id, 'daily', region_code, interest, central, local,
           interest - central - local, penalty
    FROM amounts
), history AS (
    INSERT INTO risk_class_changes (loan_id, business_date, from_class, to_class,
                                    days_past_due, reason)
    SELECT id, :d, old_class, new_class, dpd, 'end_of_day'
    FROM amounts WHERE new_class <> old_class
), updated AS (
    UPDATE loans l
    SET interest_accrued = l.interest_accrued + a.interest,
        central_accrued = l.central_accrued + a.central,
        local_accrued = l.local_accrued + a.local,
        penalty_accrued = l.penalty_accrued + a.penalty,
        penalty_outstanding = l.penalty_outstanding + a.penalty,
        days_past_due = a.dpd,
        risk_class = a.new_class,
        observation_breached = a.breached,
        -- observed without falling overdue: the loan leaves restructured status
        restructured_on = CASE WHEN a.observed_on_time THEN NULL ELSE l.restructured_on END,
        restructure_floor = CASE WHEN a.observed_on_time THEN NULL ELSE l.restructure_floor END,
        observation_start = CASE WHEN a.observed_on_time THEN NULL ELSE l.observation_start END,
        observation_end = CASE WHEN a.observed_on_time THEN NULL ELSE l.observation_end END,
        overdue_principal = l.overdue_principal + COALESCE(a.falling_principal, 0),
        overdue_interest = l.overdue_interest + COALESCE(a.falling_interest, 0),
        oldest_overdue_due = CASE WHEN l.oldest_overdue_due IS NULL AND a.falling_unpaid
                                  THEN CAST(:d AS date) ELSE l.oldest_overdue_due END,
        current_instalment = CASE WHEN a.falling_unpaid IS NULL THEN l.current_instalment
                                  ELSE a.next_number END,
        current_due_date = CASE WHEN a.falling_unpaid IS NULL THEN l.current_due_date
                                ELSE a.next_due END
    FROM amounts a
    -- the county's condition again: without it the planner hashed every county's loans to
    -- join this county's (a scan of the whole table per county-day)
    WHERE l.id = a.id AND l.region_code = :r
), opened AS (
    -- a loan past due has one open case (the partial unique index): opened when it has none
    INSERT INTO collection_cases (id, loan_id, region_code, opened_on, bucket, escalated_on,
                                  review_on)
    SELECT gen_random_uuid(), id, region_code, :d, {{bucket}}, :d, {{review}}
    FROM amounts WHERE dpd > 0
    ON CONFLICT (loan_id) WHERE closed_on IS NULL DO NOTHING
)
INSERT INTO region_daily_stats (region_code, business_date, active_loans, overdue_loans,
    npl_loans, balance, overdue_balance, npl_balance, interest_accrued,
    central_subsidy_accrued, local_subsidy_accrued, penalty_accrued, {_CLASS_COLUMNS})
SELECT :r, :d, count(*),
       count(*) FILTER (WHERE dpd > 0),
       count(*) FILTER (WHERE new_class IN ({NPL})),
       COALESCE(sum(principal_outstanding), 0),
       COALESCE(sum(principal_outstanding) FILTER (WHERE dpd > 0), 0),
       COALESCE(sum(principal_outstanding) FILTER (WHERE new_class IN ({NPL})), 0),
       COALESCE(sum(interest), 0), COALESCE(sum(central), 0), COALESCE(sum(local), 0),
       COALESCE(sum(penalty), 0), {_CLASS_SUMS}
FROM amounts
"""


@lru_cache
def _close_day(starts: tuple[int, ...]) -> TextClause:
    """The day's statement for these collection buckets."""
    return text(
        _DAY.format(bucket=bucket_sql(starts, "dpd"), review=next_review_sql(starts, "dpd", ":d"))
    )


# On a month's last day: each loan's running totals, so that a period's accruals per loan are
# differences of two snapshots (see app/reports). Loans that left the book during the month
# (closed, renewed, written off) are included; a written-off one has no balance on the book
# (its principal is on the write-off, which risk compensation reads).
_MONTH_END = text(f"""
INSERT INTO loan_month_totals (month_end, loan_id, region_code, interest, central_subsidy,
                               local_subsidy, penalty, principal_outstanding, risk_class)
SELECT :d, id, region_code, interest_accrued, central_accrued, local_accrued, penalty_accrued,
       CASE WHEN status = '{LoanStatus.written_off.value}' THEN 0 ELSE principal_outstanding END,
       risk_class
FROM loans
WHERE region_code = :r AND value_date <= CAST(:d AS date)
  AND (status = '{ACTIVE}' OR closed_on >= CAST(date_trunc('month', CAST(:d AS date)) AS date))
""")

# Storage that stays flat (docs/loan-life.md, "Accrual storage"): once a month's totals are
# written, the region's daily rows older than the retention are deleted. Claims read month-end
# totals and the adjustments (kind <> 'daily', kept for ever); a loan's view reads its running
# totals.
_PURGE_DAILY = text("""
DELETE FROM accruals
WHERE region_code = :r AND kind = 'daily' AND business_date < CAST(:horizon AS date)
""")


# Collections (4.3, app/domain/collections.py): a loan past due has one open case (opened by the
# day's statement); its bucket follows the loan's days past due. The batch looks only at the
# cases due (`review_on`): the day the bucket moves if nothing happens, or the next close when
# the loan's overdue date or status changed (a trigger on loans marks it, migration 0030). A
# case whose loan performs again, or left the book, closes. A promise whose date has come is
# judged at that day's end on what was paid since it was made (postings not reversed).
@lru_cache
def _collections(starts: tuple[int, ...]) -> tuple[TextClause, ...]:
    bucket = bucket_sql(starts, "l.days_past_due")
    review = next_review_sql(starts, "l.days_past_due", ":d")
    return (
        text(f"""
UPDATE collection_cases c
SET closed_on = CASE WHEN due.gone THEN CAST(:d AS date) END,
    close_reason = CASE WHEN due.gone THEN due.reason END,
    bucket = CASE WHEN due.gone THEN c.bucket ELSE due.bucket END,
    escalated_on = CASE WHEN NOT due.gone AND due.bucket <> c.bucket THEN CAST(:d AS date)
                        ELSE c.escalated_on END,
    review_on = CASE WHEN due.gone THEN c.review_on ELSE due.review_on END
FROM (
    SELECT c.id, l.status <> '{LoanStatus.active.value}' OR l.days_past_due = 0 AS gone,
           CASE WHEN l.status = '{LoanStatus.active.value}' THEN '{CloseReason.current.value}'
                ELSE l.status END AS reason,
           {bucket} AS bucket, {review} AS review_on
    FROM collection_cases c JOIN loans l ON l.id = c.loan_id
    WHERE c.region_code = :r AND c.closed_on IS NULL AND c.review_on <= CAST(:d AS date)
) due
WHERE c.id = due.id
"""),
        text(f"""
UPDATE promises_to_pay p
SET paid = paid_since.amount,
    status = CASE WHEN paid_since.amount >= p.amount THEN '{PromiseStatus.kept.value}'
                  ELSE '{PromiseStatus.broken.value}' END,
    judged_on = :d
FROM promises_to_pay q
CROSS JOIN LATERAL (
    SELECT COALESCE(sum(r.amount), 0) AS amount
    FROM repayments r
    WHERE r.loan_id = q.loan_id AND r.kind = 'posting'
      AND r.value_date BETWEEN q.made_on AND q.promised_on
      AND NOT EXISTS (SELECT 1 FROM repayments x WHERE x.reverses_id = r.id)
) paid_since
WHERE p.id = q.id AND q.region_code = :r AND q.status = '{PromiseStatus.open.value}'
  AND q.promised_on <= :d
"""),
    )


# The county's loan count changes since its last close become its counts (app/loans/counts.py).
FOLD_COUNTS = text("""
WITH folded AS (
    DELETE FROM loan_count_changes WHERE region_code = :r RETURNING status, change
)
INSERT INTO loan_counts (region_code, status, loans)
SELECT :r, status, sum(change) FROM folded GROUP BY status
ON CONFLICT (region_code, status) DO UPDATE SET loans = loan_counts.loans + excluded.loans
""")


_ADVANCE = text("""
UPDATE region_business_dates SET open_date = open_date + 1, updated_at = now()
WHERE region_code = :r AND open_date = :d
""")


def day_statements(
    session: Session, region_code: str, day: date
) -> list[tuple[str, TextClause, dict[str, object]]]:
    """A county-day's statements in order, each named and with its parameters."""
    params: dict[str, object] = {
        "r": region_code,
        "d": day,
        "subsidise_overdue_days": regions.subsidises_overdue_days(session, region_code),
    }
    plain: dict[str, object] = {"r": region_code, "d": day}
    starts = get_settings().bucket_starts()
    statements: list[tuple[str, TextClause, dict[str, object]]] = [
        ("close the day", _close_day(starts), params)
    ]
    for name, statement in zip(
        ("review cases", "judge promises"), _collections(starts), strict=True
    ):
        statements.append((name, statement, plain))
    if (day + timedelta(days=1)).day == 1:
        statements.append(("month end", _MONTH_END, params))
        months = get_settings().accrual_daily_retention_months
        if months:
            horizon = daily_detail_from(day + timedelta(days=1), months)
            statements.append(("purge daily", _PURGE_DAILY, {"r": region_code, "horizon": horizon}))
    statements.append(("fold counts", FOLD_COUNTS, {"r": region_code}))
    statements.append(("advance", _ADVANCE, params))
    return statements


def close_day(session: Session, region_code: str, day: date) -> None:
    """Penalty: overdue principal at the contract rate × (1 + the loan's penalty markup), and
    misused funds at the contract rate × its misuse markup on top of the contract interest
    (markups fixed at signing). Subsidy only on days the loan performs."""
    for _name, statement, params in day_statements(session, region_code, day):
        session.execute(statement, params)


def profile_county_day(session: Session, region_code: str) -> str:
    """The next county-day's statements as `EXPLAIN (ANALYZE, BUFFERS)` runs them (for the
    benchmark's output, so that a regression shows by statement): the caller rolls back."""
    day = clock.open_date(session, region_code)
    assert day is not None
    lines = [f"profile of {region_code} {day}, EXPLAIN (ANALYZE, BUFFERS) of each statement:"]
    for name, statement, params in day_statements(session, region_code, day):
        plan = session.execute(
            text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement.text}"), params
        ).scalar_one()
        top = plan[0]
        blocks = {k: top["Plan"].get(f"Shared {k} Blocks", 0) for k in ("Hit", "Read", "Dirtied")}
        lines.append(
            f"  {name:<15} {top['Execution Time']:9.1f} ms  shared hit {blocks['Hit']:,}"
            f" read {blocks['Read']:,} dirtied {blocks['Dirtied']:,}"
        )
    return "\n".join(lines)
