"""Prometheus metrics, correct across worker processes.

When PROMETHEUS_MULTIPROC_DIR is set (`bangfu serve --workers N` sets it to a fresh directory
of its own), every process writes its samples there and a scrape answered by any worker adds
them all up: prometheus-client's multiprocess mode. A worker that dies is marked dead, so its
live gauges go. Figures the database knows (the outbox's backlog, each county's batch lag) are
read at scrape time, so they are the same whichever worker answers and need no bookkeeping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("bangfu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "bangfu_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DIRECT = Counter(
    "bangfu_direct_requests_total",
    "Requests to a direct route (app/core/direct.py): answered directly, or handed to FastAPI",
    ["operation", "outcome"],
)
READS = Counter(
    "bangfu_routed_reads_total",
    "Reads a standby may serve (app/core/replica.py), by where they were served",
    ["source"],
)
DISBURSEMENTS = Counter(
    "bangfu_disbursements_total",
    "Disbursements by outcome: requested, succeeded, failed, cancelled, resent,"
    " confirmed_after_cancel",
    ["outcome"],
)
REPAYMENTS = Counter(
    "bangfu_repayments_total",
    "Repayments by outcome: posted, replayed (a repeat), refused (overpayment), reversed",
    ["outcome"],
)
BATCH_SECONDS = Gauge(
    "bangfu_eod_last_duration_seconds",
    "How long the last end of day of a county took",
    ["region"],
    multiprocess_mode="mostrecent",
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


@dataclass
class Figures:
    """What the database knows at scrape time."""

    outbox_pending: int
    outbox_oldest_age: float | None  # seconds
    open_dates: list[tuple[str, date]]  # each county's open business date
    jobs: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, status, jobs)


Reader = Callable[[], Figures]


class DatabaseFigures(Collector):
    """Business figures read from the database when scraped."""

    def __init__(self, read: Reader) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.core import clock

        figures = self._read()
        yield GaugeMetricFamily(
            "bangfu_outbox_pending",
            "Outbox messages waiting to be delivered",
            value=figures.outbox_pending,
        )
        yield GaugeMetricFamily(
            "bangfu_outbox_oldest_pending_age_seconds",
            "Age of the oldest message waiting to be delivered (0 when none waits)",
            value=figures.outbox_oldest_age or 0.0,
        )
        jobs = GaugeMetricFamily(
            "bangfu_jobs",
            "Jobs by kind and state (queued, running, succeeded, failed)",
            labels=["kind", "status"],
        )
        for kind, status, count in figures.jobs:
            jobs.add_metric([kind, status], count)
        yield jobs
        lag = GaugeMetricFamily(
            "bangfu_eod_lag_days",
            "Business days a county's end of day is behind today (0: only today is open)",
            labels=["region"],
        )
        today = clock.today()
        for region, open_date in figures.open_dates:
            lag.add_metric([region], max((today - open_date).days, 0))
        yield lag


def render(read: Reader) -> tuple[bytes, str]:
    """This process's samples (or, in multiprocess mode, every worker's added up), then the
    figures `read` takes from the database."""
    if os.environ.get(MULTIPROC_DIR):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        samples = generate_latest(processes)
    else:
        samples = generate_latest(REGISTRY)
    figures = CollectorRegistry()
    figures.register(DatabaseFigures(read))
    return samples + generate_latest(figures), CONTENT_TYPE_LATEST


def mark_dead(pid: int) -> None:
    """A worker process is gone: drop its live gauges (multiprocess mode)."""
    if os.environ.get(MULTIPROC_DIR):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
