"""The `bangfu` command line: serve, migrate, token, eod, worker, jobs, import, scheduler,
core-sim, sms-sim, export, demo. Each command is declared by a function below and done by its `cmd_`
function in app/cli/commands.py."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from app.cli.commands import (
    _load_job_handlers,
    cmd_core_sim,
    cmd_demo,
    cmd_eod,
    cmd_export,
    cmd_import,
    cmd_jobs,
    cmd_migrate,
    cmd_scheduler,
    cmd_serve,
    cmd_sms_sim,
    cmd_token,
    cmd_worker,
    running_server,
)
from app.integrations.senders import SENDERS

__all__ = ["_load_job_handlers", "build_parser", "main", "running_server"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bangfu")
    except PackageNotFoundError:  # pragma: no cover (run from a checkout without install)
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """`bangfu` and its commands, each declared by a function of its own below."""
    parser = argparse.ArgumentParser(prog="bangfu", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bangfu {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in _COMMANDS:
        command(sub)
    return parser


if TYPE_CHECKING:  # what add_subparsers gives (generic for type checkers only)
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]


def _serve_command(sub: Subcommands) -> None:
    serve = sub.add_parser("serve", help="migrate and serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=None, help="default $PORT or 8000")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes, each on its own socket"
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop (as on SIGTERM) when the process that started the server goes away",
    )
    serve.set_defaults(func=cmd_serve)


def _migrate_command(sub: Subcommands) -> None:
    migrate = sub.add_parser("migrate", help="run Alembic migrations")
    migrate.add_argument(
        "revision", nargs="?", default="head", help="Alembic revision (head; base or -1 go down)"
    )
    migrate.set_defaults(func=cmd_migrate)


def _token_command(sub: Subcommands) -> None:
    token = sub.add_parser("token", help="print a signed JWT for local use")
    token.add_argument("--sub", required=True, help="the user the token names")
    token.add_argument("--role", action="append", required=True, help="a role (repeat for several)")
    token.add_argument("--regions", default="*", help="comma-separated prefixes, * = national")
    token.add_argument("--ttl-minutes", type=int, default=480, help="minutes the token lives")
    token.set_defaults(func=cmd_token)


def _eod_command(sub: Subcommands) -> None:
    eod = sub.add_parser("eod", help="run the end-of-day batch up to and including a date")
    eod.add_argument("--date", required=True, help="business date, YYYY-MM-DD")
    eod.add_argument("--regions", default=None, help="comma-separated region code prefixes")
    eod.add_argument(
        "--workers", type=int, default=None, help="regions closed at a time (EOD_WORKERS)"
    )
    eod.set_defaults(func=cmd_eod)


def _worker_command(sub: Subcommands) -> None:
    work = sub.add_parser("worker", help="deliver outbox messages (core banking, SMS gateway)")
    work.add_argument("--concurrency", type=int, default=4, help="messages delivered at a time")
    work.add_argument(
        "--kind",
        action="append",
        choices=sorted(SENDERS),
        help="deliver only this kind of message (repeat for more); default: every kind",
    )
    work.add_argument("--until-idle", action="store_true", help="exit when nothing is pending")
    work.add_argument("--heartbeat", default=None, help="a file touched every 10 s while alive")
    work.set_defaults(func=cmd_worker)


def _jobs_command(sub: Subcommands) -> None:
    jobs = sub.add_parser("jobs", help="run queued jobs (imports, the batch, exports)")
    jobs.add_argument("--concurrency", type=int, default=2, help="jobs run at a time")
    jobs.add_argument("--until-idle", action="store_true", help="exit when no job is queued")
    jobs.add_argument("--heartbeat", default=None, help="a file touched every 10 s while alive")
    jobs.set_defaults(func=cmd_jobs)


def _import_command(sub: Subcommands) -> None:
    imp = sub.add_parser("import", help="import a roster or legacy contracts from a file")
    imp.add_argument("what", choices=["roster", "legacy"], help="what the file holds")
    imp.add_argument("file", help="roster: CSV or JSON lines; legacy: the JSON of the API")
    imp.add_argument(
        "--format",
        choices=["csv", "jsonl", "xlsx"],
        default=None,
        help="roster: default by extension",
    )
    imp.add_argument(
        "--import-valid",
        action="store_true",
        help="roster: write the valid rows of a file with errors (default: write nothing)",
    )
    imp.set_defaults(func=cmd_import)


def _scheduler_command(sub: Subcommands) -> None:
    sched = sub.add_parser(
        "scheduler",
        help="close each county's business day at EOD_LOCAL_TIME, catching up missed days",
    )
    sched.add_argument("--regions", default=None, help="comma-separated region code prefixes")
    sched.add_argument("--once", action="store_true", help="one tick, then exit")
    sched.add_argument(
        "--through", default=None, help="with --once: close through this date, YYYY-MM-DD"
    )
    sched.add_argument("--poll-seconds", type=float, default=30, help="seconds between ticks")
    sched.add_argument("--heartbeat", default=None, help="a file touched every 10 s while alive")
    sched.set_defaults(func=cmd_scheduler)


def _simulator_arguments(sim: argparse.ArgumentParser, port: int, callbacks: str) -> None:
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=int, default=port, help="port to listen on")
    sim.add_argument("--error-rate", type=float, default=0.0, help="share answered 503")
    sim.add_argument(
        "--timeout-rate", type=float, default=0.0, help="share made but answered too late"
    )
    sim.add_argument(
        "--timeout-seconds", type=float, default=3.0, help="how late a late answer comes"
    )
    sim.add_argument("--latency-ms", type=int, default=0, help="delay before every answer")
    sim.add_argument(
        "--duplicate-callback-rate",
        type=float,
        default=0.0,
        help=f"share of {callbacks} sent twice",
    )
    sim.add_argument("--seed", type=int, default=None, help="fix the random faults")


def _core_sim_command(sub: Subcommands) -> None:
    sim = sub.add_parser("core-sim", help="serve the core banking simulator")
    _simulator_arguments(sim, 8100, "confirmations")
    sim.set_defaults(func=cmd_core_sim)


def _sms_sim_command(sub: Subcommands) -> None:
    sim = sub.add_parser("sms-sim", help="serve the SMS gateway simulator")
    _simulator_arguments(sim, 8200, "delivery receipts")
    sim.add_argument(
        "--undelivered-rate", type=float, default=0.0, help="share reported undelivered"
    )
    sim.set_defaults(func=cmd_sms_sim)


def _export_command(sub: Subcommands) -> None:
    exp = sub.add_parser("export", help="data-sharing export for a period (clause 3.4)")
    exp.add_argument("--period", required=True, help="2026Q3 or 2026-07")
    exp.add_argument("--out", default=None, help="default exports/PERIOD")
    exp.set_defaults(func=cmd_export)


def _demo_command(sub: Subcommands) -> None:
    demo = sub.add_parser("demo", help="walk one household through a loan's whole life")
    demo.add_argument(
        "--base-url",
        default=None,
        help="the server's address; default: the `bangfu serve` running here, else $PORT or 8000",
    )
    demo.add_argument("--core-banking-url", default=None, help="default CORE_BANKING_URL")
    demo.add_argument(
        "--no-spawn", action="store_true", help="do not start the simulator when none answers"
    )
    demo.set_defaults(func=cmd_demo)


_COMMANDS = (
    _serve_command,
    _migrate_command,
    _token_command,
    _eod_command,
    _worker_command,
    _jobs_command,
    _import_command,
    _scheduler_command,
    _core_sim_command,
    _sms_sim_command,
    _export_command,
    _demo_command,
)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)
