"""Shared set-up for benchmarks: a fresh, migrated database on DATABASE_URL's server (or the
embedded one), and peak-memory figures."""

from __future__ import annotations

import os
import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_database(name: str) -> str:
    from app.core import db
    from app.core.embedded import create_database, start_embedded, with_database
    from app.core.migrations import upgrade
    from app.core.settings import get_settings

    server = os.environ.get("DATABASE_URL") or start_embedded(ROOT / ".data")
    create_database(server, name, drop_first=True)
    url = with_database(server, name)
    upgrade(url)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.reset_engine()
    return url


def reuse_database(name: str) -> str:
    """The database a previous run left, migrated to head."""
    from app.core.embedded import start_embedded, with_database
    from app.core.migrations import upgrade

    server = os.environ.get("DATABASE_URL") or start_embedded(ROOT / ".data")
    url = with_database(server, name)
    upgrade(url)
    return url


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
