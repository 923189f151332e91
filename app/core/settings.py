"""Service configuration, read from the environment (and `.env`) with pydantic-settings.

Every knob the notice leaves to the bank has a documented default here; see
docs/operations.md "Configuration" and docs/policy.md "Policy decisions".
"""

from __future__ import annotations

import os
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain import pricing
from app.domain.accrual import MISUSE_MARKUP_RANGE, OVERDUE_MARKUP_RANGE
from app.domain.collections import (
    DEFAULT_WRITE_OFF_MIN_ACTIONS,
    DEFAULT_WRITE_OFF_MIN_DAYS_PAST_DUE,
    valid_bucket_starts,
)
from app.domain.monitoring import DEFAULT_VISIT_INTERVAL_DAYS
from app.domain.rating import SCORECARD_2026_1

DEV_JWT_SECRET = "bangfu-development-secret-change-me-0123456789"  # noqa: S105 (refused in production)
# 32-byte keys, base64; development only (refused in production).
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1lbmNyeXB0aW9uLWtleS0zMmI="
DEV_HASH_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgtaG1hYy1rZXktMzJi"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    database_url: str | None = Field(
        default=None,
        description="libpq URL, e.g. postgresql://user@host:5432/db. Unset: embedded PostgreSQL.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="The schema owner's libpq URL, for migrations. The service connects with"
        " DATABASE_URL as a role of its own (no DDL, the audit trail append-only); unset: the"
        " same URL (one role, development only).",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="A streaming hot standby's libpq URL: lists, reports and exports read from"
        " it while it keeps up (app/core/replica.py); unset: every read goes to the primary.",
    )
    replica_max_lag_seconds: float = Field(default=5.0, ge=0)
    replica_check_seconds: float = Field(default=1.0, ge=0)
    replica_retry_seconds: float = Field(default=10.0, ge=0)
    service_role: str = Field(
        default="bangfu_app", description="the embedded database's service role"
    )
    data_dir: Path = Path(".data")
    embedded_database: str = "bangfu"

    jwt_secret: str = DEV_JWT_SECRET
    jwt_public_key: str | None = Field(
        default=None, description="PEM public key; when set, tokens must be RS256-signed."
    )
    jwt_jwks_url: str | None = Field(
        default=None,
        description="the bank's JWKS endpoint; when set, tokens must be RS256-signed by a key it"
        " lists (found by the token's `kid`; rotated keys are fetched on first sight)",
    )
    jwt_jwks_cache_seconds: float = Field(
        default=300, gt=0, description="how long the key set is kept before it is fetched again"
    )
    jwt_jwks_cooldown_seconds: float = Field(
        default=30,
        ge=0,
        description="a token naming an unknown key fetches the set again, at most this often"
        " (made-up key ids cannot flood the bank's endpoint)",
    )
    metrics_token: str | None = Field(
        default=None,
        description="the bearer token Prometheus scrapes /metrics with; without it, /metrics"
        " takes an admin's JWT",
    )
    jwt_issuer: str = "bangfu"
    jwt_ttl_minutes: int = 480

    data_encryption_key: str = Field(
        default=DEV_DATA_KEY, description="base64 AES-256-GCM key for ID numbers and phones"
    )
    data_hash_key: str = Field(
        default=DEV_HASH_KEY, description="base64 HMAC-SHA256 key for the blind index"
    )

    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="where core banking calls back"
    )
    core_banking_url: str = Field(default="http://127.0.0.1:8100")
    core_banking_timeout_seconds: float = 5.0
    outbox_backoff_base_seconds: float = 1.0
    outbox_backoff_cap_seconds: float = 60.0
    allow_future_business_dates: bool = Field(
        default=False,
        description="let the daily batch run dates after today (simulation; never in production)",
    )
    simulated_today: date | None = Field(
        default=None,
        description="fix today's date (tests, demos, simulations; never in production)",
    )
    eod_max_days_per_run: int = Field(
        default=1000, gt=0, description="one call of the batch closes at most this many days"
    )
    eod_local_time: time = Field(
        default=time(22, 0),
        description="`bangfu scheduler` closes each county's business day at this local time"
        " (China Standard Time)",
    )
    eod_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="counties the batch closes at a time (default: one per core)",
    )
    accrual_daily_retention_months: int = Field(
        default=2,
        ge=0,
        description="months of daily accrual rows kept (the current one and those before it);"
        " older ones are rolled up into month-end totals and deleted at a month's end; 0 keeps"
        " them for ever",
    )
    collection_buckets: str = Field(
        default="1,31,91,181",
        description="days past due where each collection bucket starts (1–30, 31–90, 91–180, 181+)",
    )
    rate_cost_of_funds: Decimal = Field(
        default=pricing.DEFAULT.cost_of_funds, ge=0, le=1, description="1.4 rate guidance"
    )
    rate_transfer_pricing_discount: Decimal = Field(
        default=pricing.DEFAULT.transfer_pricing_discount, ge=0, le=1
    )
    rate_operating_cost: Decimal = Field(default=pricing.DEFAULT.operating_cost, ge=0, le=1)
    rate_risk_premiums: str = Field(
        default=",".join(f"{g}:{p}" for g, p in pricing.DEFAULT.risk_premium.items()),
        description="risk premium by rating grade, GRADE:RATE,…",
    )
    rate_band: Decimal = Field(default=pricing.DEFAULT.band, ge=0, le=1)
    write_off_min_days_past_due: int = Field(
        default=DEFAULT_WRITE_OFF_MIN_DAYS_PAST_DUE,
        ge=1,
        description="collection exhausted (2.1): days past due before a write-off may be proposed",
    )
    write_off_min_actions: int = Field(
        default=DEFAULT_WRITE_OFF_MIN_ACTIONS,
        ge=1,
        description="collection exhausted (2.1): collection actions on record first",
    )
    jobs_worker_in_process: bool = Field(
        default=False,
        description="`bangfu serve` also runs queued jobs (one process for development)",
    )
    jobs_heartbeat_seconds: float = Field(
        default=10, gt=0, description="how often a job worker tells the database it is alive"
    )
    jobs_stalled_seconds: float = Field(
        default=30,
        gt=0,
        description="a job whose worker has been silent this long is run again by another",
    )
    outbox_worker_in_process: bool = Field(
        default=False,
        description="`bangfu serve` also delivers the outbox (one process for development)",
    )

    monitoring_visit_interval_days: int = DEFAULT_VISIT_INTERVAL_DAYS
    backdating_days: int = Field(
        default=30,
        ge=0,
        le=366,
        description="how far before the county's business date a caller may date a record "
        "(signing, recovery, visit); nothing is dated after it",
    )
    # Regional controls (4.3): the bank's thresholds.
    region_alert_overdue_ratio: Decimal = Decimal("0.05")
    region_alert_overdue_growth: Decimal = Decimal("0.02")
    region_suspend_overdue_ratio: Decimal = Decimal("0.15")
    region_suspend_npl_ratio: Decimal = Decimal("0.10")

    # Reports: the bank-wide NPL ratio by date ("2026-06-30:0.0125,2026-09-30:0.0118"), and the
    # counties with a risk compensation fund and its share ("520102:0.5,520103:0.4").
    bank_npl_ratios: str = ""
    risk_compensation_funds: str = ""
    # The bank as the finance departments' forms and every report name it (填报银行, 填报单位);
    # required in production. Unset elsewhere, a workbook says so in its place.
    bank_name: str = ""
    # Documents (issue 30): the CJK font embedded in every PDF (Debian's fonts-wqy-microhei,
    # installed by the image and by `make`); a document is reproducible for the same font file.
    document_font_path: str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    # Evidence attachments (issue 30): kept in a local directory (the embedded default) or an
    # S3-compatible object store (production; compose runs one), each file under its SHA-256.
    evidence_store: Literal["local", "s3"] = "local"
    evidence_dir: str = ".data/evidence"
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    s3_endpoint_url: str = ""
    s3_bucket: str = "bangfu-evidence"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    # Messages to borrowers (issue 30): the SMS gateway (`bangfu sms-sim` in development; unset,
    # no texts are written at all), the signature carriers require at a text's head, the quiet
    # hours (local time) when nothing is sent, the time of day the scheduled work writes the
    # day's messages, and the day of the year (MM-DD) the yearly policy message goes out from.
    sms_gateway_url: str = ""
    sms_timeout_seconds: float = Field(default=5.0, gt=0)
    sms_signature: str = Field(default="【帮扶小额信贷】", max_length=20)
    sms_quiet_start: time = time(21, 0)
    sms_quiet_end: time = time(8, 0)
    sms_local_time: time = time(8, 30)
    sms_policy_day: str = Field(default="03-15", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")

    log_level: str = "INFO"
    log_json: bool = True

    # The console (issue 26): a session ends after this long without a page; writes must come
    # from this origin (scheme://host[:port]) when set, else from the request's own host (https
    # in production).
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    console_origin: str = ""

    idempotency_ttl_hours: int = 24
    max_body_bytes: int = 1_048_576
    max_import_bytes: int = 268_435_456  # roster and legacy-loan files (CSV, JSON lines, xlsx)
    # Uploads (issue 26, docs/security.md): a file is read from disk as a stream, never whole;
    # a legacy import's JSON body is parsed whole, so it has a smaller limit of its own.
    max_json_import_bytes: int = 33_554_432
    upload_max_line_chars: int = Field(
        default=1_048_576, ge=1024, description="a CSV or JSON-lines line, in characters"
    )
    upload_max_field_chars: int = Field(
        default=131_072, ge=1024, description="a CSV field, in characters"
    )
    # A workbook is checked before it is read: its zip directory, every part's inflated size
    # and inflation ratio, each sheet's declared and actual grid (rows x columns, which the
    # reader allocates whole), its cells, the shared strings and the text the cells refer to.
    xlsx_max_cells: int = Field(default=1_000_000, ge=1)
    xlsx_max_part_bytes: int = Field(default=67_108_864, ge=1024)
    xlsx_max_ratio: int = Field(default=100, ge=1, description="inflated / compressed, per part")
    xlsx_max_shared_strings: int = Field(default=1_000_000, ge=1)
    xlsx_max_text_chars: int = Field(
        default=67_108_864, ge=1, description="the text all cells hold, shared strings counted"
    )
    db_pool_size: int = 10
    db_statement_timeout_ms: int = 30_000

    # 1.6 (积极引导借款人承担部分利息): after central and local subsidy the borrower's rate on
    # the subsidised principal must stay above this (default: above zero).
    borrower_rate_floor: Decimal = Decimal("0")

    # Penalty markup on overdue principal (银发〔2003〕251号: 30%–50%).
    overdue_penalty_markup: Decimal = Decimal("0.5")
    # Penalty markup on misused funds (same rule: 50%–100%).
    misuse_penalty_markup: Decimal = Decimal("1.0")

    @property
    def filing_bank(self) -> str:
        """The bank as a form names it (填报银行); outside production it may be unset, and the
        form says so rather than leave a blank to be filled by hand."""
        return self.bank_name.strip() or "（未设置银行名称）"

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> Settings:
        if self.environment is Environment.production and (
            self.jwt_public_key is None
            and self.jwt_jwks_url is None
            and self.jwt_secret == DEV_JWT_SECRET
        ):
            raise ValueError(
                "ENVIRONMENT=production refuses the development JWT secret: "
                "set JWT_SECRET (32+ random bytes), JWT_PUBLIC_KEY or JWT_JWKS_URL"
            )
        if self.environment is Environment.production and (
            DEV_DATA_KEY in (self.data_encryption_key, self.data_hash_key)
            or DEV_HASH_KEY in (self.data_encryption_key, self.data_hash_key)
        ):
            raise ValueError(
                "ENVIRONMENT=production refuses the development DATA_ENCRYPTION_KEY/DATA_HASH_KEY"
            )
        if self.environment is Environment.production and self.simulated_today is not None:
            raise ValueError("SIMULATED_TODAY is for tests and simulations, not production")
        if self.environment is Environment.production and self.allow_future_business_dates:
            raise ValueError("ALLOW_FUTURE_BUSINESS_DATES is for simulations, not production")
        if self.environment is Environment.production and not self.bank_name.strip():
            raise ValueError(
                "ENVIRONMENT=production needs BANK_NAME: the bank as every form it files names it"
            )
        if self.environment is Environment.production and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters")
        for name, markup, (low, high) in (
            ("OVERDUE_PENALTY_MARKUP", self.overdue_penalty_markup, OVERDUE_MARKUP_RANGE),
            ("MISUSE_PENALTY_MARKUP", self.misuse_penalty_markup, MISUSE_MARKUP_RANGE),
        ):
            if not low <= markup <= high:
                raise ValueError(f"{name} must be within {low}–{high} (银发〔2003〕251号)")
        self.bucket_starts()  # refused at start-up, not at the first overdue loan
        self.rate_components()
        return self

    def rate_components(self) -> pricing.Components:
        """The rate guidance's figures (1.4)."""
        try:
            premiums = {
                grade.strip(): Decimal(rate)
                for grade, _, rate in (p.partition(":") for p in self.rate_risk_premiums.split(","))
            }
        except ArithmeticError as exc:
            raise ValueError("RATE_RISK_PREMIUMS: GRADE:RATE,…") from exc
        missing = {g for g, _ in SCORECARD_2026_1.grade_floors} - set(premiums)
        if missing:
            raise ValueError(f"RATE_RISK_PREMIUMS lacks grades {', '.join(sorted(missing))}")
        return pricing.Components(
            cost_of_funds=self.rate_cost_of_funds,
            transfer_pricing_discount=self.rate_transfer_pricing_discount,
            operating_cost=self.rate_operating_cost,
            risk_premium=premiums,
            band=self.rate_band,
        )

    def bucket_starts(self) -> tuple[int, ...]:
        """COLLECTION_BUCKETS as numbers."""
        try:
            starts = [int(part) for part in self.collection_buckets.split(",")]
        except ValueError as exc:
            raise ValueError("COLLECTION_BUCKETS: numbers, e.g. 1,31,91,181") from exc
        return valid_bucket_starts(starts)


def sqlalchemy_url(libpq_url: str) -> str:
    """Adapt a libpq URL (as every PostgreSQL tool writes it) for SQLAlchemy's psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if libpq_url.startswith(prefix):
            return "postgresql+psycopg://" + libpq_url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


@lru_cache
def get_settings() -> Settings:
    return Settings()
