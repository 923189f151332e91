"""A lean closed-loop HTTP/1.1 load driver on asyncio streams.

The load generator shares the 2 cores with the API and PostgreSQL, so what it spends is taken
from the figure it measures: httpx costs about a millisecond of CPU per request, this driver a
few tens of microseconds (requests are pre-encoded bytes on keep-alive connections). It speaks
only what our own server answers: HTTP/1.1 with Content-Length, no chunking, no redirects.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# (worker number, request number) -> the raw request bytes
RequestMaker = Callable[[int, int], bytes]


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Around a measured run: the driver's process holds the app's modules (it builds the
    fixtures with them), and a full garbage collection there stalls every request in flight
    and is charged to the server."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def encode(
    method: str, path: str, headers: dict[str, str], body: Any = None, host: str = "bench"
) -> bytes:
    """A request as bytes; `body` is JSON-encoded when given."""
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Result:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def quantile_ms(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.rps:,.0f} requests/s, p50 {self.quantile_ms(50):.1f} ms,"
            f" p99 {self.quantile_ms(99):.1f} ms, max {max(self.latencies) * 1000:.0f} ms"
            f" ({len(self.latencies):,} requests,"
            f" statuses {dict(sorted(self.statuses.items()))})"
        )


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run(
    host: str,
    port: int,
    seconds: float,
    concurrency: int,
    make_requests: Callable[[int, int], list[bytes]],
    warmup: float = 1.0,
) -> Result:
    """`concurrency` connections, each sending its requests one after another for `seconds`
    (after `warmup` seconds that are not counted). `make_requests` gives the requests of one
    scenario step; the step's latency is the time for all of them."""
    result = Result(seconds)
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds

    async def worker(n: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        i = 0
        try:
            while (now := time.perf_counter()) < deadline:
                counted = now >= measure_from
                for request in make_requests(n, i):
                    status, body = await _exchange(reader, writer, request)
                    if counted:
                        result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status >= 400 and not result.first_error:
                        result.first_error = f"{status}: {body[:300]!r}"
                if counted:
                    result.latencies.append(time.perf_counter() - now)
                i += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    if result.first_error:
        raise RuntimeError(result.first_error)
    return result


async def run_at_rate(
    host: str,
    port: int,
    seconds: float,
    rate: float,
    connections: int,
    make_request: RequestMaker,
    warmup: float = 1.0,
) -> Result:
    """Open loop: requests start on a fixed schedule (`rate` per second) whatever the answers
    do, over a pool of keep-alive connections, and each latency runs from the request's
    scheduled start. A server that falls behind is charged the queueing it causes, which a
    closed loop hides (coordinated omission)."""
    result = Result(seconds)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, port))
    begin = time.perf_counter()
    measure_from = begin + warmup

    async def one(i: int, scheduled: float) -> None:
        reader, writer = await pool.get()
        try:
            status, body = await _exchange(reader, writer, make_request(i % connections, i))
        finally:
            pool.put_nowait((reader, writer))
        if scheduled >= measure_from:
            result.latencies.append(time.perf_counter() - scheduled)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        if status >= 400 and not result.first_error:
            result.first_error = f"{status}: {body[:300]!r}"

    tasks = []
    for i in range(int(rate * (warmup + seconds))):
        scheduled = begin + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait()[1].close()
    if result.first_error:
        raise RuntimeError(result.first_error)
    return result
