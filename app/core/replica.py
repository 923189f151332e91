"""Reads from a streaming hot standby (DATABASE_REPLICA_URL), on PostgreSQL's own replication.

What goes there: the GET operations named in `REPLICA_OPERATIONS` (lists, reports, exports and
the queues the console's read pages show), and only when the standby

- answers (a standby that fails is left alone for REPLICA_RETRY_SECONDS; a read it failed is
  run again on the primary, so a client never sees the standby's failure);
- is within REPLICA_MAX_LAG_SECONDS of the primary (a thread of the service looks every
  REPLICA_CHECK_SECONDS); and
- has replayed the caller's own last write (read-your-writes): every committed write answers
  with its position in the primary's WAL (`Bangfu-LSN`), which the service also remembers for
  the caller's subject (this process) and the console keeps in a cookie (any host); a read
  sending `Bangfu-LSN` back, or made by a caller whose write this process remembers, goes to
  the primary until the standby has replayed that far.

Everything else (writes, single records, what a four-eyes decision reads) reads the primary.
Lag is measured against the primary's own WAL positions sampled at each look: the standby is
as far behind as the oldest sample it has not replayed yet (an idle primary is no lag; the
figure can be short by one check interval).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from functools import lru_cache

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import Message, Scope

from app.core.settings import get_settings

log = structlog.get_logger("bangfu.replica")

LSN_HEADER = "bangfu-lsn"
LSN_COOKIE = "bangfu_lsn"

# The reads a standby may serve: what lists, reports, exports and the console's read pages ask.
REPLICA_OPERATIONS = frozenset(
    {
        "list_loans",
        "list_loans_xlsx",
        "list_loans_csv",
        "list_applications",
        "list_collection_cases",
        "county_collections",
        "work_queue",
        "list_write_offs",
        "list_exemption_cases",
        "exemption_report",
        "exemption_report_xlsx",
        "exemption_report_csv",
        "subsidy_claims",
        "subsidy_claims_xlsx",
        "subsidy_claims_csv",
        "portfolio_quality",
        "portfolio_quality_xlsx",
        "portfolio_quality_csv",
        "portfolio_chart",
        "risk_compensation",
        "risk_compensation_xlsx",
        "risk_compensation_csv",
        "reviewer_queue",
        "list_decisions",
        "list_audit_events",
    }
)


def parse_lsn(value: str | None) -> int:
    """`16/B374D848` as a number (0 for anything else: a malformed header asks for nothing)."""
    high, sep, low = (value or "").strip().partition("/")
    try:
        return (int(high, 16) << 32) + int(low, 16) if sep and len(value or "") <= 17 else 0
    except ValueError:
        return 0


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@lru_cache
def replica_sessionmaker() -> sessionmaker[Session] | None:
    """Sessions on the standby (read-only transactions), or None when none is configured."""
    from app.core.db import make_engine  # db forgets this one with its own (reset_engine)

    url = get_settings().database_replica_url
    if not url:
        return None
    # a read the standby failed is read again on the primary: a short wait for it is enough
    engine = make_engine(url, read_only=True, name="bangfu-replica", timeout_seconds=2)
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class Standby:
    """What the service knows of the standby: replayed how far, how far behind, up. A thread
    looks every REPLICA_CHECK_SECONDS (whatever the traffic), so a read only reads this."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watching = False
        self._stop = threading.Event()
        self._down_until = float("-inf")
        self.replayed = 0
        self.lag_seconds = 0.0
        # (when, the primary's WAL position then), for the positions not replayed yet: the
        # standby is as far behind as the oldest of them
        self._behind: deque[tuple[float, int]] = deque(maxlen=100_000)

    def serves(self, primary: Engine, wanted_lsn: int) -> bool:
        """Whether a read that must see `wanted_lsn` may go to the standby now."""
        self._watch_from(primary)
        if time.monotonic() < self._down_until:
            return False
        max_lag = get_settings().replica_max_lag_seconds
        return self.lag_seconds <= max_lag and self.replayed >= wanted_lsn

    def _watch_from(self, primary: Engine) -> None:
        if self._watching:
            return
        with self._lock:
            if self._watching:
                return
            self._check(primary)  # the first look before the first read
            watcher = threading.Thread(
                target=self._watch, args=(primary,), name="standby-watch", daemon=True
            )
            watcher.start()
            self._watching = True

    def _watch(self, primary: Engine) -> None:
        while not self._stop.wait(get_settings().replica_check_seconds):
            self._check(primary)

    def stop(self) -> None:
        self._stop.set()

    def _check(self, primary: Engine) -> None:
        made = replica_sessionmaker()
        if made is None:
            return
        try:
            with primary.connect() as conn:
                written = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
            with made() as session:
                replayed = session.execute(
                    text("SELECT pg_last_wal_replay_lsn()::text")
                ).scalar_one()
        except Exception as exc:
            self.failed(exc)
            return
        now = time.monotonic()
        self.replayed = parse_lsn(replayed)
        self._behind.append((now, parse_lsn(written)))
        while self._behind and self._behind[0][1] <= self.replayed:
            self._behind.popleft()
        self.lag_seconds = now - self._behind[0][0] if self._behind else 0.0

    def failed(self, exc: BaseException) -> None:
        """The standby failed a check or a read: the primary serves until the retry time."""
        log.warning("replica_unavailable", error_type=type(exc).__name__)
        self._down_until = time.monotonic() + get_settings().replica_retry_seconds


@lru_cache
def standby() -> Standby:
    return Standby()


class _Written:
    """The last write's WAL position per caller, in this process (bounded: least recent go)."""

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._by_caller: OrderedDict[str, int] = OrderedDict()
        self._size = size

    def remember(self, caller: str, lsn: int) -> None:
        with self._lock:
            self._by_caller[caller] = max(lsn, self._by_caller.pop(caller, 0))
            if len(self._by_caller) > self._size:
                self._by_caller.popitem(last=False)

    def of(self, caller: str | None) -> int:
        with self._lock:
            return self._by_caller.get(caller, 0) if caller else 0


written = _Written()


def wanted_lsn(scope: Scope, caller: str | None) -> int:
    """The position a read must see: the caller's header, the console's cookie, or the
    caller's last write through this process, whichever is furthest."""
    headers = Headers(scope=scope)
    from_cookie = cookie_parser(headers.get("cookie", "")).get(LSN_COOKIE)
    return max(parse_lsn(headers.get(LSN_HEADER)), parse_lsn(from_cookie), written.of(caller))


def routed(scope: Scope) -> bool:
    """Whether this request is one a standby may serve (its method and operation)."""
    if scope.get("method") not in ("GET", "HEAD") or replica_sessionmaker() is None:
        return False
    route = scope.get("route")
    return getattr(route, "name", None) in REPLICA_OPERATIONS


def lsn_cookie(lsn: int, secure: bool) -> bytes:
    """The console's cookie holding the person's last write (read-your-writes on any host)."""
    flags = "; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    return f"{LSN_COOKIE}={format_lsn(lsn)}{flags}".encode()


def answer_with_lsn(session: Session, caller: str | None, buffered: list[Message]) -> None:
    """A committed write's position in the primary's WAL: in its answer (`Bangfu-LSN`) and
    remembered for its caller, so the caller's next reads see it."""
    position = session.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one()
    lsn = parse_lsn(position)
    if caller is not None:
        written.remember(caller, lsn)
    _add_header(buffered, (LSN_HEADER.encode(), position.encode()))


def console_remembers_write(scope: Scope, buffered: list[Message]) -> None:
    """A console page whose API call wrote: the person's browser keeps the write's position
    (a cookie), so a page served by another host still reads at least that far."""
    lsn = scope.get("state", {}).get("written_lsn")
    if not lsn:
        return
    _add_header(buffered, (b"set-cookie", lsn_cookie(lsn, scope.get("scheme") == "https")))


def _add_header(buffered: list[Message], header: tuple[bytes, bytes]) -> None:
    for message in buffered:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), header]
