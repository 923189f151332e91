"""Test fixtures: a real PostgreSQL (DATABASE_URL, else embedded), migrated by Alembic once per
test process, and the app served by a live uvicorn on a loopback port, called over real HTTP."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("LOG_JSON", "true")
# Servicing tests run the daily batch through a loan's whole life, i.e. into the future.
os.environ.setdefault("ALLOW_FUTURE_BUSINESS_DATES", "true")
# No test depends on the real date: "today" is this date for the service and the tests alike
# (an ordinary mid-month day; tests that need a month's or a leap year's edge set their own).
os.environ.setdefault("SIMULATED_TODAY", "2027-03-10")
# Evidence kept by the tests goes to a folder of this run's, not the checkout's .data/.
os.environ.setdefault("EVIDENCE_DIR", tempfile.mkdtemp(prefix="bangfu-evidence-"))

from app.core import db
from app.core.auth import Role, issue_token
from app.core.dbroles import with_role
from app.core.embedded import create_database, start_embedded, with_database
from app.core.migrations import migrate
from app.core.settings import get_settings

# Property tests: derandomised in CI (the same examples every run, so a failure reproduces),
# random locally (`HYPOTHESIS_PROFILE=dev`, the default off CI) to keep finding new cases.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parents[1]
SERVICE_ROLE = "bangfu_app"


def _server_url() -> str:
    """Where the test databases live: DATABASE_URL's server, or the embedded one."""
    configured = os.environ.get("BANGFU_TEST_SERVER_URL") or os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return start_embedded(ROOT / ".data")


def _database_name(server_url: str) -> str:
    """This run's test database: named after the database DATABASE_URL names (CI makes a
    fresh one per run) and the xdist worker, so that two runs on one server never share one."""
    from sqlalchemy.engine import make_url

    source = make_url(server_url).database or "embedded"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"bangfu_test_{source}_{worker}"[:50]


@pytest.fixture(scope="session")
def server_url() -> str:
    url = _server_url()
    os.environ["BANGFU_TEST_SERVER_URL"] = url
    return url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this test process, migrated to head with Alembic as the owner, with
    the service role provisioned (app/core/dbroles.py)."""
    name = _database_name(server_url)
    create_database(server_url, name, drop_first=True)
    url = with_database(server_url, name)
    # Migrated as the owner; the app under test connects as the service role, as deployed.
    service_url = with_role(url, SERVICE_ROLE)
    migrate(url, service_url)
    os.environ["MIGRATION_DATABASE_URL"] = url
    os.environ["DATABASE_URL"] = service_url
    get_settings.cache_clear()
    db.reset_engine()
    yield url  # the owner's URL: tests read and arrange data around the service's back
    db.reset_engine()


@pytest.fixture(scope="session")
def scratch_database(server_url: str) -> Callable[[str], str]:
    """Make another empty database on the same server (for migration round trips)."""

    def make(suffix: str) -> str:
        name = f"{_database_name(server_url)}_{suffix}"
        create_database(server_url, name, drop_first=True)
        return with_database(server_url, name)

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[str]:
    """The app (plus the test-only routes in tests/api/support.py) under a real uvicorn."""
    import uvicorn

    from app.main import create_app
    from tests.api.support import add_test_routes

    app = create_app()
    add_test_routes(app)
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def client(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture()
def auth(database_url: str) -> TokenFactory:
    """auth(Role.loan_officer, regions=["5201"], sub="alice") → headers with a bearer token."""

    def make(*roles: Role, regions: list[str] | None = None, sub: str = "tester") -> dict[str, str]:
        token = issue_token(sub, roles, regions if regions is not None else ["*"])
        return {"Authorization": f"Bearer {token}"}

    return make
