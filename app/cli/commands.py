"""What each `bangfu` command does (app/cli/__init__.py declares them)."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from app.core.progress import Progress
from app.core.settings import get_settings


def ensure_database_url() -> str:
    """DATABASE_URL if set; otherwise start the embedded PostgreSQL under .data/ and use it.

    The URL is put back into the environment so that uvicorn's worker processes use the same
    server instead of starting their own."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    from app.core.dbroles import with_role
    from app.core.embedded import create_database, start_embedded, with_database

    admin_url = start_embedded(settings.data_dir)
    _exit_cleanly_on_sigterm()
    create_database(admin_url, settings.embedded_database)
    owner = with_database(admin_url, settings.embedded_database)
    # Migrations as the owner; the service as a role of its own (app/core/dbroles.py).
    url = with_role(owner, settings.service_role)
    os.environ["MIGRATION_DATABASE_URL"] = owner
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    print(f"embedded PostgreSQL: {url} (migrations as {owner})", file=sys.stderr)
    return url


def _exit_cleanly_on_sigterm() -> None:
    """The embedded server is stopped at interpreter exit (atexit), which Ctrl-C reaches but a
    bare SIGTERM — a closing terminal, a process manager, a container stop — does not: the
    process would die and leave PostgreSQL running for the next run to reuse unnoticed. SIGTERM
    becomes a clean exit. (uvicorn takes the signal while it serves, shuts down gracefully,
    then raises it again: into this handler.)"""

    def exit_cleanly(signum: int, frame: object) -> None:
        raise SystemExit(0)  # a stop on request is a clean stop

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, exit_cleanly)


def _exit_with_parent() -> None:
    """`make run` execs the server, but make itself does not pass a SIGTERM on to its recipe:
    when the process that started the server goes away, the server stops as if sent SIGTERM."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def owner_database_url() -> str:
    settings = get_settings()
    return settings.migration_database_url or ensure_database_url()


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.core.dbroles import provision_service_role
    from app.core.migrations import downgrade, upgrade

    url = ensure_database_url()
    owner = owner_database_url()
    if args.revision.startswith("-") or args.revision == "base":
        downgrade(owner, args.revision)
    else:
        upgrade(owner, args.revision)
        provision_service_role(owner, url)
    print(f"migrated to {args.revision}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core import workers

    if args.exit_with_parent:
        _exit_with_parent()
    url = ensure_database_url()
    if not args.no_migrate:
        from app.core.migrations import migrate

        migrate(owner_database_url(), url)
    port = args.port or int(os.environ.get("PORT", "8000"))
    address = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{port}"
    if "PUBLIC_BASE_URL" not in os.environ:
        # core banking (the simulator in development) calls back where this server listens
        os.environ["PUBLIC_BASE_URL"] = address
        get_settings.cache_clear()
    _exit_cleanly_on_sigterm()
    _announce(address)
    stop = _start_outbox_thread() if get_settings().outbox_worker_in_process else None
    stop_jobs = _start_jobs_thread() if get_settings().jobs_worker_in_process else None
    print(
        f"Bangfu on http://{args.host}:{port}  (docs: http://{args.host}:{port}/docs)",
        file=sys.stderr,
    )
    options: dict[str, Any] = {"log_config": None, "access_log": False, "proxy_headers": True}
    if args.workers > 1 and workers.supports_reuse_port():
        workers.serve(args.host, port, args.workers, options)
    else:
        uvicorn.run(
            workers.APP, factory=True, host=args.host, port=port, workers=args.workers, **options
        )
    for event in (stop, stop_jobs):
        if event is not None:
            event.set()
    return 0


SERVER_FILE = "server.json"


def _announce(address: str) -> None:
    """Tell `bangfu demo` (and anyone on this machine) where this server listens: a file under
    DATA_DIR, removed when the server stops."""
    path = get_settings().data_dir / SERVER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": address, "pid": os.getpid()}), encoding="utf-8")
    atexit.register(lambda: path.unlink(missing_ok=True))


def running_server() -> str | None:
    """The address a `bangfu serve` on this machine announced, if it is still running."""
    path = get_settings().data_dir / SERVER_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(found["url"])


def _start_outbox_thread() -> threading.Event:
    """Deliver the outbox from the serving process (development: one command runs it all)."""
    from app.core.db import get_sessionmaker
    from app.integrations import worker

    stop = threading.Event()
    threading.Thread(
        target=worker.run,
        args=(get_sessionmaker(),),
        kwargs={"concurrency": 2, "stop": stop},
        daemon=True,
        name="outbox",
    ).start()
    return stop


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from app.core.auth import Role, issue_token

    try:
        roles = [Role(r) for r in args.role]
    except ValueError:
        print("roles: " + ", ".join(r.value for r in Role), file=sys.stderr)
        return 2
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    print(issue_token(args.sub, roles, regions, ttl=timedelta(minutes=args.ttl_minutes)))
    return 0


def cmd_eod(args: argparse.Namespace) -> int:
    from datetime import date

    from app.batch import eod
    from app.core.db import get_sessionmaker
    from app.core.logging import configure_logging

    configure_logging(get_settings().log_level, get_settings().log_json)
    ensure_database_url()
    prefixes = [r for r in args.regions.split(",") if r] if args.regions else None
    try:
        result = eod.run(
            get_sessionmaker(),
            date.fromisoformat(args.date),
            prefixes,
            workers=args.workers or get_settings().eod_workers,
            on_progress=Progress(f"end of day {args.date}, counties"),
        )
    except eod.FutureDateError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(
        f"end of day {result.business_date}: {result.region_days} region-days in"
        f" {result.regions} regions, {result.seconds:.2f} s"
        + (f"; busy elsewhere: {', '.join(result.skipped_locked)}" if result.skipped_locked else "")
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.core.db import get_sessionmaker
    from app.core.logging import configure_logging
    from app.integrations import worker

    configure_logging(get_settings().log_level, get_settings().log_json)
    ensure_database_url()
    _heartbeat(args.heartbeat)
    worker.run(
        get_sessionmaker(),
        concurrency=args.concurrency,
        until_idle=args.until_idle,
        kinds=tuple(args.kind) if args.kind else None,
    )
    return 0


# The modules whose handlers do each kind of job (`app.jobs`): a worker imports them all,
# and refuses to start if a kind has none.
JOB_HANDLERS = ("app.roster.service", "app.legacy.service", "app.batch.eod", "app.reports.service")


def _load_job_handlers() -> None:
    import importlib

    for module in JOB_HANDLERS:
        importlib.import_module(module)


def cmd_jobs(args: argparse.Namespace) -> int:
    from app.core.logging import configure_logging
    from app.jobs import queue

    configure_logging(get_settings().log_level, get_settings().log_json)
    ensure_database_url()
    _load_job_handlers()
    _heartbeat(args.heartbeat)
    queue.work(concurrency=args.concurrency, until_idle=args.until_idle)
    return 0


def _start_jobs_thread() -> threading.Event:
    """Run queued jobs from the serving process (development: one command runs it all)."""
    from app.jobs import queue

    _load_job_handlers()
    stop = threading.Event()
    threading.Thread(
        target=queue.work,
        kwargs={"concurrency": 2, "stop": stop, "install_signal_handlers": False},
        daemon=True,
        name="jobs",
    ).start()
    return stop


def _cli_principal() -> Any:
    """Who a command run at the server's console acts as: named after the OS user, national."""
    import getpass

    from app.core.auth import NATIONAL_SCOPE, Principal, Role

    return Principal(f"cli:{getpass.getuser()}", frozenset({Role.admin}), (NATIONAL_SCOPE,))


def _import_roster(
    session: Any, path: str, fmt: str, bar: Progress, import_valid: bool
) -> list[str]:
    from app.core.uploads import Upload, holding
    from app.roster import service as roster

    with holding(Upload.copy_of(path)) as upload:
        result = roster.import_roster(
            session, _cli_principal(), upload, fmt, bar, import_valid=import_valid
        )
    print(
        f"{result.lines} rows: {result.accepted} new, {result.updated} updated,"
        f" {result.removed} removed, {result.unchanged} unchanged, {result.rejected} rejected"
    )
    return [f"line {r['line']}: {r['reason']}" for r in result.rejections]


def _import_legacy(session: Any, body: bytes, bar: Progress) -> list[str]:
    from app.legacy import schemas
    from app.legacy import service as legacy

    contracts = schemas.LegacyImportIn.model_validate_json(body)  # its size is the operator's
    result = legacy.import_loans(session, _cli_principal(), contracts, bar)
    print(
        f"{result.accepted} contracts imported, {result.unchanged} already here,"
        f" {result.rejected} rejected"
    )
    return [f"#{r.index} {r.external_ref}: {'; '.join(r.reasons)}" for r in result.rejections]


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pydantic import ValidationError

    from app.core.db import get_sessionmaker
    from app.core.problems import Problem

    ensure_database_url()
    path = Path(args.file)
    bar = Progress(f"{args.what} import {path.name}")
    try:
        with get_sessionmaker().begin() as session:
            if args.what == "roster":
                by_suffix = {".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
                fmt = args.format or by_suffix.get(path.suffix.lower(), "csv")
                errors = _import_roster(session, str(path), fmt, bar, args.import_valid)
            else:
                errors = _import_legacy(session, path.read_bytes(), bar)
    except (Problem, ValueError, ValidationError) as exc:
        print(f"refused: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        for where in getattr(exc, "errors", None) or []:
            print(f"  {' '.join(map(str, where.loc))}: {where.msg}", file=sys.stderr)
        return 2
    for line in errors[:50]:
        print(f"  {line}", file=sys.stderr)
    if len(errors) > 50:
        print(f"  … and {len(errors) - 50} more", file=sys.stderr)
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from datetime import date

    from app.batch import scheduler
    from app.batch.eod import FutureDateError
    from app.core.db import get_sessionmaker
    from app.core.logging import configure_logging
    from app.messages import service as messages  # noqa: F401  (the day's texts: scheduled)
    from app.reports import monthly  # noqa: F401  (its monthly report is scheduled work)

    configure_logging(get_settings().log_level, get_settings().log_json)
    ensure_database_url()
    prefixes = [r for r in args.regions.split(",") if r] if args.regions else None
    if args.once:
        from app.core import clock

        through = (
            date.fromisoformat(args.through)
            if args.through
            else scheduler.due_through(clock.now(), get_settings().eod_local_time, clock.today())
        )
        try:
            closed = scheduler.tick(get_sessionmaker(), through, prefixes)
        except FutureDateError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        print(f"closed {closed} region-days through {through}")
        return 0
    _exit_cleanly_on_sigterm()
    _heartbeat(args.heartbeat)
    scheduler.run(get_sessionmaker(), prefixes=prefixes, poll_seconds=args.poll_seconds)
    return 0


def _heartbeat(path: str | None, every: float = 10) -> None:
    """Touch `path` while the process lives: a container health check reads its age."""
    if not path:
        return
    from pathlib import Path

    beat = Path(path)

    def touch() -> None:
        while True:
            beat.touch()
            time.sleep(every)

    threading.Thread(target=touch, daemon=True, name="heartbeat").start()


def cmd_core_sim(args: argparse.Namespace) -> int:
    import uvicorn

    from app.integrations.core_sim import Faults, create_sim

    faults = Faults(**_faults(args))
    uvicorn.run(
        create_sim(faults, seed=args.seed), host=args.host, port=args.port, log_level="warning"
    )
    return 0


def cmd_sms_sim(args: argparse.Namespace) -> int:
    import uvicorn

    from app.integrations.sms_sim import SmsFaults, create_sms_sim

    faults = SmsFaults(**_faults(args), undelivered_rate=args.undelivered_rate)
    uvicorn.run(
        create_sms_sim(faults, seed=args.seed), host=args.host, port=args.port, log_level="warning"
    )
    return 0


def _faults(args: argparse.Namespace) -> dict[str, float]:
    return {
        "error_rate": args.error_rate,
        "timeout_rate": args.timeout_rate,
        "timeout_seconds": args.timeout_seconds,
        "latency_ms": args.latency_ms,
        "duplicate_callback_rate": args.duplicate_callback_rate,
    }


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.core.db import get_sessionmaker
    from app.core.problems import Problem
    from app.reports import export, periods

    ensure_database_url()
    try:
        period = periods.parse(args.period)
    except Problem as exc:
        print(exc.detail, file=sys.stderr)
        return 2
    out = Path(args.out or f"exports/{args.period}")
    with get_sessionmaker()() as session:
        files = export.export(session, period, out, on_progress=Progress(f"export {args.period}"))
    listing = ", ".join(f"{f['name']} ({f['rows']} rows)" for f in files)
    print(f"exported {args.period} to {out}: {listing}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import run_demo

    base_url = (
        args.base_url or running_server() or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    )
    return run_demo(base_url, args.core_banking_url, spawn_simulator=not args.no_spawn)
