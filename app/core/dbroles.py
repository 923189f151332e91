"""Least privilege in the database: migrations run as the schema's owner; the service connects
as a role of its own that may read and write rows but not change the schema, truncate tables,
own anything, or update or delete the audit trail. With no ownership and no superuser, neither
`session_replication_role` nor disabling the audit trigger is open to it.

`provision_service_role` is run by `bangfu migrate` (and `serve`, which migrates first) after
the migrations, as the owner: it creates the service role if need be and grants exactly this on
every table, so a table added by a later migration is covered by the next migrate."""

from __future__ import annotations

from contextlib import suppress

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

# Money and audit records are only ever added: a correction is a new entry (STYLE §4).
APPEND_ONLY = (
    "audit_events",
    "repayments",
    "loan_recoveries",
    "attachments",
    "monitoring_reports",
    "messages",
    "message_receipts",
    "message_preferences",
    "message_runs",
)
READ_ONLY = ("alembic_version",)


def service_role(owner_url: str, service_url: str) -> str | None:
    """The service's role, or None when the service connects as the owner (a single-role
    development setup)."""
    owner, service = make_url(owner_url), make_url(service_url)
    if service.username is None or service.username == owner.username:
        return None
    return service.username


def provision_service_role(owner_url: str, service_url: str) -> str | None:
    role = service_role(owner_url, service_url)
    if role is None:
        return None
    service = make_url(service_url)
    name = sql.Identifier(role)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            # Roles are cluster-wide: another migrate may create it meanwhile.
            with suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                conn.execute(
                    sql.SQL(
                        "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                    ).format(name)
                )
        if service.password:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(service.password))
            )
        database = conn.execute("SELECT current_database()").fetchone()
        assert database is not None
        for statement in (
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
            "GRANT USAGE ON SCHEMA public TO {role}",
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            # the batch's one door to DDL: a month's accrual partition (migration 0014)
            "GRANT EXECUTE ON FUNCTION bangfu_accrual_months(date, date, date) TO {role}",
        ):
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(database[0]), role=name))
        for table in APPEND_ONLY:
            conn.execute(
                sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), name)
            )
        for table in READ_ONLY:
            conn.execute(
                sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
                    sql.Identifier(table), name
                )
            )
    return role


def with_role(libpq_url: str, role: str, password: str | None = None) -> str:
    """The same server and database, connecting as `role`."""
    return (
        make_url(libpq_url)
        .set(username=role, password=password)
        .render_as_string(hide_password=False)
    )
