"""Daily accrual rows in monthly partitions (issue 16, storage): a month whose daily detail no
county keeps any longer is dropped whole, so the daily window's space does not grow with the
years (deleting rows left the table and its index to bloat, bench/storage.py).

`accruals` is partitioned by kind: `accruals_adjustments` (pay-off true-ups, reversals,
corrections: kept for ever) and `accruals_daily`, itself partitioned by month
(`accruals_daily_YYYYMM`). Nothing that reads or writes `accruals` changes.

Partitions are DDL, which the service role may not do: `bangfu_accrual_months(first, last,
drop_before)`, owned by the schema owner and run with its rights (SECURITY DEFINER, a fixed
search_path), creates the months from `first` to `last` and drops those ending before
`drop_before`. The batch calls it (app/batch/eod.py); no other door to DDL is opened.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "business_date date NOT NULL, loan_id uuid NOT NULL, kind varchar(10) NOT NULL,"
    " region_code varchar(12) NOT NULL, interest numeric(14,2) NOT NULL,"
    " central_subsidy numeric(14,2) NOT NULL, local_subsidy numeric(14,2) NOT NULL,"
    " borrower_interest numeric(14,2) NOT NULL, penalty numeric(14,2) NOT NULL"
)

MONTHS_FUNCTION = """
CREATE FUNCTION bangfu_accrual_months(first date, last date, drop_before date)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    month date := date_trunc('month', first)::date;
    name text;
    part record;
    changed integer := 0;
BEGIN
    -- one caller at a time (two counties' batches may ask for the same month)
    PERFORM pg_advisory_xact_lock(hashtext('bangfu_accrual_months'));
    WHILE month <= last LOOP
        name := 'accruals_daily_' || to_char(month, 'YYYYMM');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF accruals_daily FOR VALUES FROM (%L) TO (%L)'
                ' WITH (autovacuum_vacuum_scale_factor = 0.02)',
                name, month, (month + interval '1 month')::date);
            changed := changed + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'accruals_daily'::regclass
          AND c.relname ~ '^accruals_daily_[0-9]{6}$'
          AND (to_date(substr(c.relname, 16), 'YYYYMM') + interval '1 month')::date
              <= drop_before
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END $$;
REVOKE ALL ON FUNCTION bangfu_accrual_months(date, date, date) FROM PUBLIC;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE accruals RENAME TO accruals_unpartitioned")
    op.execute("ALTER TABLE accruals_unpartitioned RENAME CONSTRAINT pk_accruals TO pk_old")
    op.execute("ALTER INDEX ix_accruals_adjustments RENAME TO ix_old_adjustments")
    op.execute(
        f"CREATE TABLE accruals ({COLUMNS},"
        " CONSTRAINT pk_accruals PRIMARY KEY (region_code, business_date, loan_id, kind))"
        " PARTITION BY LIST (kind)"
    )
    op.execute(
        "CREATE INDEX ix_accruals_adjustments ON accruals (region_code, business_date)"
        " WHERE kind <> 'daily'"
    )
    op.execute(
        "CREATE TABLE accruals_daily PARTITION OF accruals FOR VALUES IN ('daily')"
        " PARTITION BY RANGE (business_date)"
    )
    op.execute("CREATE TABLE accruals_adjustments PARTITION OF accruals DEFAULT")
    # The driver's own execute: a dollar-quoted body with format() placeholders, no parameters.
    op.get_bind().connection.driver_connection.execute(MONTHS_FUNCTION)
    # The months the existing daily rows span, then the rows.
    op.execute("""
        SELECT bangfu_accrual_months(min(business_date), max(business_date), DATE '0001-01-01')
        FROM accruals_unpartitioned WHERE kind = 'daily' HAVING count(*) > 0
    """)
    op.execute("INSERT INTO accruals SELECT * FROM accruals_unpartitioned")
    op.execute("DROP TABLE accruals_unpartitioned")


def downgrade() -> None:
    op.execute("ALTER TABLE accruals RENAME TO accruals_partitioned")
    op.execute("ALTER TABLE accruals_partitioned RENAME CONSTRAINT pk_accruals TO pk_partitioned")
    op.execute("ALTER INDEX ix_accruals_adjustments RENAME TO ix_partitioned_adjustments")
    op.execute(
        f"CREATE TABLE accruals ({COLUMNS},"
        " CONSTRAINT pk_accruals PRIMARY KEY (region_code, business_date, loan_id, kind))"
        " WITH (autovacuum_vacuum_scale_factor = 0.02)"
    )
    op.execute(
        "CREATE INDEX ix_accruals_adjustments ON accruals (region_code, business_date)"
        " WHERE kind <> 'daily'"
    )
    op.execute("INSERT INTO accruals SELECT * FROM accruals_partitioned")
    op.execute("DROP TABLE accruals_partitioned CASCADE")
    op.execute("DROP FUNCTION bangfu_accrual_months(date, date, date)")
