"""Seed active loans with their schedules directly in SQL (not through the API), for the
end-of-day benchmark and the batch crash test.

Loans are 12-month, equal-principal or interest-then-principal (closed forms, so the schedule
is computed in SQL with the domain's rounding), disbursed over the year before `business_date`;
instalments due before it are paid, except on every 20th loan, whose latest one is overdue,
and every 40th, whose last four (more than 90 days past due) are.
Regions are counties '56xxxx'; each region's open business date is `business_date`.
"""

from __future__ import annotations

from datetime import date

import psycopg

SQL = """
CREATE TEMPORARY TABLE seed ON COMMIT DROP AS
SELECT g,
       (560000 + g %% %(regions)s)::text AS region,
       gen_random_uuid() AS household_id, gen_random_uuid() AS member_id,
       gen_random_uuid() AS loan_id,
       (%(d0)s::date - (1 + (g::bigint * 7919) %% 360)::int)::date AS value_date,
       (ARRAY[3000, 5000, 8000, 10000, 12000, 20000, 30000, 50000])[1 + g %% 8]::numeric(14, 2)
           AS principal,
       (ARRAY[0.0365, 0.0400, 0.0435, 0.0450])[1 + g %% 4]::numeric(12, 10) AS rate,
       CASE WHEN g %% 3 = 0 THEN 'interest_then_principal' ELSE 'equal_principal' END AS method,
       (g %% 20 = 0) AS delinquent,
       (g %% 40 = 0) AS deep
FROM generate_series(1, %(n)s) g;

INSERT INTO households (id, region_code, address, account_encrypted, account_masked, created_by)
SELECT household_id, region, 'seeded', '\\x00', '6217***********0000', 'seed' FROM seed;

INSERT INTO members (id, household_id, name, relation, id_hash, id_encrypted, id_masked,
                     birth_date, full_civil_capacity, has_labor_skills)
SELECT member_id, household_id, 'seed', 'head', sha256(member_id::text::bytea), '\\x00',
       '5600**********0000', DATE '1980-01-01', true, true
FROM seed;

INSERT INTO loans (id, household_id, borrower_member_id, region_code, status, policy_version,
                   principal, annual_rate, term_months, repayment_method, purpose,
                   large_production, central_subsidy_rate, local_subsidy_rate,
                   subsidised_principal, local_subsidised_principal, penalty_markup,
                   misuse_markup, signed_on, contracted_by, officer, value_date, maturity_date,
                   contract_number, document_template)
SELECT loan_id, household_id, member_id, region, 'active', 'ASSIST_2026', principal, rate, 12,
       method, 'livestock', false, least(0.7 * rate, 0.025), 0.005, least(principal, 50000),
       least(principal, 50000), 0.5, 1.0,
       value_date, 'seed', 'officer-' || region, value_date,
       (value_date + interval '12 months')::date,
       left(region, 6) || '-' || extract(year FROM value_date) || '-' || to_char(
           coalesce(cs.last_number, 0) + row_number() OVER (
               PARTITION BY region, extract(year FROM value_date) ORDER BY g),
           'FM000000'),
       '2026.1'
FROM seed LEFT JOIN contract_sequences cs
    ON cs.county = left(seed.region, 6) AND cs.year = extract(year FROM seed.value_date);

INSERT INTO contract_sequences (county, year, last_number)
SELECT left(region, 6), extract(year FROM value_date), count(*) FROM seed GROUP BY 1, 2
ON CONFLICT (county, year)
DO UPDATE SET last_number = contract_sequences.last_number + excluded.last_number;

INSERT INTO instalments (loan_id, number, period_start, due_date, principal_due, interest_due,
                         prepaid_interest, central_share, local_share, accrual_start,
                         accrued_interest_before, accrued_central_before,
                         accrued_local_before, principal_paid, interest_paid)
SELECT loan_id, k, period_start, due_date, p, i, 0, central, least(local, s - central),
       period_start, 0, 0, 0,
       CASE WHEN paid THEN p ELSE 0 END, CASE WHEN paid THEN i ELSE 0 END
FROM (
    SELECT x.*, round(round(i * least(principal, 50000) / principal, 2) * least(0.7 * rate, 0.025)
                      / rate, 2) AS central,
           round(round(i * least(principal, 50000) / principal, 2) * 0.005 / rate, 2) AS local,
           round(i * least(principal, 50000) / principal, 2) AS s,
           due_date < %(d0)s::date
           AND NOT (delinquent AND due_date >= last_past_due)
           AND NOT (deep AND due_date > last_past_due - interval '4 months') AS paid
    FROM (
        SELECT s.loan_id, s.principal, s.rate, s.delinquent, s.deep, k,
               (s.value_date + make_interval(months => k - 1))::date AS period_start,
               (s.value_date + make_interval(months => k))::date AS due_date,
               CASE WHEN s.method = 'equal_principal'
                    THEN CASE WHEN k < 12 THEN round(s.principal / 12, 2)
                              ELSE s.principal - 11 * round(s.principal / 12, 2) END
                    ELSE CASE WHEN k < 12 THEN 0 ELSE s.principal END END AS p,
               CASE WHEN s.method = 'equal_principal'
                    THEN round((s.principal - (k - 1) * round(s.principal / 12, 2))
                               * s.rate / 12, 2)
                    ELSE round(s.principal * s.rate / 12, 2) END AS i,
               (SELECT max((s.value_date + make_interval(months => j))::date)
                FROM generate_series(1, 12) j
                WHERE (s.value_date + make_interval(months => j))::date < %(d0)s::date)
                   AS last_past_due
        FROM seed s CROSS JOIN generate_series(1, 12) k
    ) x
) y;

UPDATE loans l
SET principal_outstanding = a.outstanding,
    overdue_principal = a.overdue_principal,
    overdue_interest = a.overdue_interest,
    oldest_overdue_due = a.oldest_overdue,
    current_instalment = a.current_number,
    current_due_date = a.current_due
FROM (
    SELECT i.loan_id,
           sum(i.principal_due - i.principal_paid) AS outstanding,
           COALESCE(sum(i.principal_due - i.principal_paid)
                    FILTER (WHERE i.due_date < %(d0)s::date), 0) AS overdue_principal,
           COALESCE(sum(i.interest_due - i.interest_paid)
                    FILTER (WHERE i.due_date < %(d0)s::date), 0) AS overdue_interest,
           min(i.due_date) FILTER (WHERE i.due_date < %(d0)s::date
                                     AND i.principal_paid + i.interest_paid
                                         < i.principal_due + i.interest_due) AS oldest_overdue,
           min(i.number) FILTER (WHERE i.due_date > %(d0)s::date) AS current_number,
           min(i.due_date) FILTER (WHERE i.due_date > %(d0)s::date) AS current_due
    FROM instalments i JOIN seed s ON s.loan_id = i.loan_id
    GROUP BY i.loan_id
) a
WHERE l.id = a.loan_id;

INSERT INTO region_business_dates (region_code, open_date)
SELECT DISTINCT region, %(d0)s::date FROM seed
ON CONFLICT (region_code) DO NOTHING;
"""


def seed_loans(libpq_url: str, loans: int, regions: int, business_date: date) -> None:
    with psycopg.connect(libpq_url) as conn:
        params = {"n": loans, "regions": regions, "d0": business_date}
        for statement in SQL.split(";\n\n"):
            conn.execute(statement, params)  # type: ignore[arg-type]
        conn.commit()
        conn.autocommit = True
        # As after any bulk load, and as autovacuum keeps long-lived tables in service: the
        # visibility map set, so that an index-only scan (a claim form's borrower and
        # household, migration 0037) reads no table page.
        for table in ("loans", "instalments", "households", "members"):
            conn.execute(f"VACUUM ANALYZE {table}")
