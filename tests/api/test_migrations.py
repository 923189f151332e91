"""The models and the migrations agree, and the migrations round-trip."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401
from app.core.db import Base
from app.core.migrations import described_by_models, downgrade, upgrade
from app.core.settings import sqlalchemy_url


def test_models_match_migrations(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": described_by_models}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_and_upgrade_round_trip(scratch_database) -> None:
    url = scratch_database("roundtrip")
    upgrade(url)
    engine = create_engine(sqlalchemy_url(url))
    tables_at_head = set(inspect(engine).get_table_names())
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert set(inspect(engine).get_table_names()) == tables_at_head
    engine.dispose()
