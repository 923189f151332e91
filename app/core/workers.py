"""Serving with several worker processes, each listening on its own SO_REUSEPORT socket.

uvicorn's `--workers` shares one listening socket among the workers: whichever wakes first
accepts every pending connection, so keep-alive clients that connect together (a proxy's
connection pool, a load test) can all land on one worker while the others idle. Measured here:
12 connections opened at once went 12/0. With a socket per worker and SO_REUSEPORT, the kernel
spreads new connections over the workers.

The supervisor restarts a worker that dies and stops them all on SIGINT or SIGTERM (each
worker, a plain uvicorn server, finishes its requests in flight and runs its shutdown).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from app.core.metrics import MULTIPROC_DIR, mark_dead

log = logging.getLogger("bangfu.workers")

APP = "app.main:create_app"
# A worker that dies within this many seconds of starting is not restarted in a tight loop.
RESTART_BACKOFF_SECONDS = 1.0


def supports_reuse_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket that other processes may bind to the same address too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = bind(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """Run `workers` uvicorn processes on host:port until SIGINT or SIGTERM."""
    context = multiprocessing.get_context("spawn")
    # Bound once here first, so that a taken port fails at once rather than in every worker.
    bind(host, port).close()
    # Metrics add up over the workers (app/core/metrics.py): a fresh directory per run.
    own_metrics_dir = not os.environ.get(MULTIPROC_DIR)
    if own_metrics_dir:
        os.environ[MULTIPROC_DIR] = tempfile.mkdtemp(prefix="bangfu-metrics-")

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(host, port, options))
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            wait([p.sentinel for p in processes], timeout=0.5)
            for i, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    log.warning(
                        "worker %s exited with %s; restarting", process.pid, process.exitcode
                    )
                    if process.pid is not None:
                        mark_dead(process.pid)
                    time.sleep(RESTART_BACKOFF_SECONDS)
                    processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if own_metrics_dir:
            shutil.rmtree(os.environ.pop(MULTIPROC_DIR), ignore_errors=True)
