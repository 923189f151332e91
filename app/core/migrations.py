"""Alembic, driven from code: `bangfu migrate`, readiness checks and the tests use this."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core.settings import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(libpq_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(libpq_url).replace("%", "%%"))
    return config


def upgrade(libpq_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(libpq_url), revision)


def migrate(owner_url: str, service_url: str) -> str | None:
    """Migrate to head as the owner, then grant the service's role what it needs and no more
    (app/core/dbroles.py). Returns the service role, or None when it is the owner."""
    from app.core.dbroles import provision_service_role

    upgrade(owner_url)
    return provision_service_role(owner_url, service_url)


def downgrade(libpq_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(libpq_url), revision)


@lru_cache
def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


# Tables no model describes: procrastinate's own (its schema, migration 0012), and the
# partitions of `accruals` (migration 0014), which the model describes as one table.
UNMODELLED_PREFIXES = ("procrastinate_", "accruals_")


def described_by_models(name: str | None, type_: str, parent_names: object = None) -> bool:
    """For Alembic's comparison of models with the database: leave those tables out."""
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_PREFIXES))
