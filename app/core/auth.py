"""Bearer JWT authentication, roles and region scope.

Claims: `sub` (user), `roles` (list of Role), `regions` (GB/T 2260 code prefixes the user may
see; "*" is national scope), `exp`. HS256 with JWT_SECRET; or RS256, verified against the bank's
key set (JWT_JWKS_URL, keys found by `kid` and rotated) or a static key (JWT_PUBLIC_KEY);
`alg: none` and every other algorithm are refused.
"""

from __future__ import annotations

import hmac
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core import clock
from app.core.i18n import Said
from app.core.problems import Problem, not_found
from app.core.settings import Settings, get_settings

NATIONAL_SCOPE = "*"
# A region claim is a GB/T 2260 code prefix (digits) or "*"; anything else is refused, so a
# scope can never be widened by a pattern character or a string read as a list of letters.
REGION_PREFIX = re.compile(r"\d{2,12}")
# Clock skew allowed between the bank's identity provider and this service (exp, nbf, iat).
LEEWAY_SECONDS = 30


def normalise_subject(raw: object) -> str | None:
    """One person, one identity: Unicode NFKC, trimmed and case-folded. None when the subject
    is blank or carries control, format (zero-width) or other invisible characters, which
    would let one person pass as two (maker-checker, idempotency keys)."""
    if not isinstance(raw, str):
        return None
    subject = unicodedata.normalize("NFKC", raw).strip().casefold()
    if not subject or any(
        unicodedata.category(c) in {"Cc", "Cf", "Co", "Cs", "Cn"} for c in subject
    ):
        return None
    return subject


def parse_regions(raw: object) -> tuple[str, ...] | None:
    """The regions claim as a tuple of prefixes, or None when it is missing, empty, not a list,
    or holds anything but digit prefixes and "*"."""
    if not isinstance(raw, list) or not raw:
        return None
    if not all(
        isinstance(r, str) and (r == NATIONAL_SCOPE or REGION_PREFIX.fullmatch(r)) for r in raw
    ):
        return None
    return tuple(raw)


class Role(StrEnum):
    loan_officer = "loan_officer"
    credit_reviewer = "credit_reviewer"
    risk_manager = "risk_manager"
    auditor = "auditor"
    core_banking = "core_banking"
    admin = "admin"
    # 尽职免责 committee: decides due-diligence exemption cases (never on a loan it took part in)
    exemption_committee = "exemption_committee"
    # The departments the bank shares data with (3.4 信息共享, 5.3): read-only, their regions,
    # aggregates only (no names, ID numbers or phones), every read audited.
    finance_department = "finance_department"
    agriculture_department = "agriculture_department"
    regulator = "regulator"
    # The SMS gateway's delivery receipts (issue 30): that call and nothing else.
    sms_gateway = "sms_gateway"


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    regions: tuple[str, ...]

    @property
    def primary_role(self) -> Role:
        return sorted(self.roles)[0]

    @property
    def sees_names(self) -> bool:
        """Whether borrowers' names are shown in full: to those who serve, decide on or
        manage the loans; auditors and core banking see them masked (张**)."""
        return bool(self.roles & NAME_ROLES)

    @property
    def is_department(self) -> bool:
        """A government department's reader (DEPARTMENTS) and nothing else: aggregates only,
        each read audited."""
        return bool(self.roles) and self.roles <= DEPARTMENTS

    def sees_region(self, region_code: str) -> bool:
        return any(p == NATIONAL_SCOPE or region_code.startswith(p) for p in self.regions)

    def covers(self, regions: list[str]) -> bool:
        """Whether every one of a stored scope's regions (a request's, a job's) lies within
        this caller's: national scope only within national scope."""
        if NATIONAL_SCOPE in regions:
            return NATIONAL_SCOPE in self.regions
        return all(self.sees_region(r) for r in regions)

    def ensure_region(self, region_code: str, what: str) -> None:
        """A record outside the caller's regions does not exist for them: 404, not 403."""
        if not self.sees_region(region_code):
            raise not_found(what)

    def region_prefixes(self) -> list[str] | None:
        """Prefixes to filter lists by, or None for national scope."""
        return None if NATIONAL_SCOPE in self.regions else list(self.regions)


# The service itself, for work no person started (the command line's batch, the outbox worker).
SYSTEM = Principal(subject="system", roles=frozenset({Role.admin}), regions=(NATIONAL_SCOPE,))


def _unauthorized(detail: Said) -> Problem:
    return Problem(
        401, detail, slug="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="bangfu"'}
    )


def _verification_key(token: str, settings: Settings) -> tuple[Any, list[str]]:
    """The key a token must verify against: the bank's key set (JWKS, by the token's `kid`), a
    static RS256 public key, or the HS256 secret, in that order of preference."""
    if settings.jwt_jwks_url:
        try:
            client = _jwks(
                settings.jwt_jwks_url,
                settings.jwt_jwks_cache_seconds,
                settings.jwt_jwks_cooldown_seconds,
            )
            # the PyJWK itself (hashable, one per key in the fetched set) keys the memo below
            return client.get_signing_key_from_jwt(token), ["RS256"]
        except jwt.PyJWKClientConnectionError as exc:
            raise Problem(
                503,
                Said("无法连接银行的密钥集", "The bank's key set cannot be reached"),
                slug="jwks-unavailable",
            ) from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized(
                Said(
                    "令牌不是由银行公布的密钥签发的",
                    "The token is not signed by a key the bank lists",
                )
            ) from exc
    if settings.jwt_public_key:
        return settings.jwt_public_key, ["RS256"]
    return settings.jwt_secret, ["HS256"]


@lru_cache(maxsize=4)
def _jwks(url: str, lifespan: float, cooldown: float) -> jwt.PyJWKClient:
    """One client per key-set URL: it keeps the set for `lifespan` seconds and fetches it again
    when a token names a key it has not seen (a rotation), at most once per `cooldown`. A fetch
    blocks its request (rare: once per lifespan or rotation; 5 s at most)."""
    return jwt.PyJWKClient(
        url, cache_jwk_set=True, lifespan=lifespan, timeout=5, cooldown_duration=cooldown
    )


def issue_token(
    subject: str,
    roles: Iterable[Role | str],
    regions: Iterable[str],
    *,
    settings: Settings | None = None,
    ttl: timedelta | None = None,
) -> str:
    """Sign a development/test token with JWT_SECRET (production uses the bank's IdP)."""
    settings = settings or get_settings()
    now = clock.now(UTC)
    claims = {
        "sub": subject,
        "roles": [Role(r).value for r in roles],
        "regions": list(regions),
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + (ttl if ttl is not None else timedelta(minutes=settings.jwt_ttl_minutes)),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def token_expiry(token: str, settings: Settings | None = None) -> float:
    """When a valid token expires (seconds since the epoch); 401 if it is not valid."""
    settings = settings or get_settings()
    key, algorithms = _verification_key(token, settings)
    return _verified(token, key, tuple(algorithms), settings.jwt_issuer)[1]


def decode_token(token: str, settings: Settings) -> Principal:
    key, algorithms = _verification_key(token, settings)
    principal, expires = _verified(token, key, tuple(algorithms), settings.jwt_issuer)
    if expires + LEEWAY_SECONDS <= time.time():
        raise _unauthorized(Said("令牌已过期", "The token has expired"))
    return principal


@lru_cache(maxsize=4096)
def _verified(
    token: str, key: Any, algorithms: tuple[str, ...], issuer: str
) -> tuple[Principal, float]:
    """The principal a token names and when it expires. Memoised: a client sends the same
    token with every request, and verifying it each time was a twentieth of a request's CPU.
    Only tokens that verify are kept (a refusal raises), keyed by the key and issuer too; the
    expiry is checked again on every use by the caller."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "exp", "roles"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized(Said("令牌已过期", "The token has expired")) from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized(Said("令牌无效", "The token is not valid")) from exc
    try:
        if not isinstance(claims["roles"], list):
            raise TypeError("roles is not a list")
        roles = frozenset(Role(r) for r in claims["roles"])
        expires = float(claims["exp"])
    except (TypeError, ValueError) as exc:
        raise _unauthorized(Said("令牌中的角色无效", "The token's roles are not valid")) from exc
    if not roles:
        raise _unauthorized(Said("令牌中没有角色", "The token carries no role"))
    regions = parse_regions(claims.get("regions"))
    if regions is None:
        raise _unauthorized(
            Said(
                '令牌中的地区应为非空的地区代码前缀（数字）列表或 "*"',
                "The token's regions must be a non-empty list of region code prefixes (digits)"
                ' or "*"',
            )
        )
    subject = normalise_subject(claims["sub"])
    if subject is None:
        raise _unauthorized(
            Said(
                "令牌的主体为空或含有不可见字符",
                "The token's subject is blank or holds invisible characters",
            )
        )
    return Principal(subject=subject, roles=roles, regions=regions), expires


BEARER = HTTPBearer(auto_error=False, description="JWT from `bangfu token` or the bank's IdP")


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, a hop that costs more than the work.
async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized(Said("需要提供 Bearer 令牌", "A bearer token is required"))
    principal = decode_token(credentials.credentials, get_settings())
    request.state.principal = principal
    return principal


async def metrics_reader(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> None:
    """/metrics is not public: the scraper's METRICS_TOKEN, or a national admin's token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized(Said("需要提供 Bearer 令牌", "A bearer token is required"))
    settings = get_settings()
    if settings.metrics_token and hmac.compare_digest(
        credentials.credentials.encode(), settings.metrics_token.encode()
    ):
        return
    principal = decode_token(credentials.credentials, settings)
    # The series cover every county (each one's batch lag, the jobs of all): an administrator of
    # a province or county would read the others' through them.
    if Role.admin not in principal.roles or NATIONAL_SCOPE not in principal.regions:
        raise Problem(
            403,
            Said(
                "监控指标涵盖全国各地区，仅供采集程序和全国权限的管理员查看",
                "Metrics cover every region: for the scraper and national administrators",
            ),
            slug="forbidden",
        )


def refuse_unless_role(principal: Principal, allowed: frozenset[Role]) -> None:
    """403 unless the caller holds one of `allowed` (an endpoint's roles, or a decision's)."""
    if not principal.roles & allowed:
        raise Problem(
            403,
            Said(
                "您的角色无权执行此操作；允许的角色：" + "、".join(sorted(allowed)),
                "Your role may not do this; allowed: " + ", ".join(sorted(allowed)),
            ),
            slug="forbidden",
        )


def refuse_unless_national(principal: Principal, what: Said) -> None:
    """403 unless the caller's scope is national: `what` is national reference data (the LPR,
    the exemption catalogue), which no one county's or province's administrator changes."""
    if NATIONAL_SCOPE not in principal.regions:
        raise Problem(
            403,
            Said(
                f"{what.zh}为全国参考数据，须由全国权限的管理员维护",
                f"{what.en} is national reference data: for a national administrator",
            ),
            slug="forbidden",
        )


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller must hold one of `roles`. Admin is not implied: an
    administrator does not approve loans unless a handler lists the role."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        refuse_unless_role(principal, allowed)
        return principal

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the authz matrix test
    return dependency


AnyRole = Annotated[Principal, Depends(current_principal)]
DEPARTMENTS = frozenset({Role.finance_department, Role.agriculture_department, Role.regulator})
# Everyone at the bank (and its core system): what a department, or the SMS gateway, may not
# reach.
STAFF = tuple(r for r in Role if r not in DEPARTMENTS and r is not Role.sms_gateway)
Staff = Annotated[Principal, Depends(require(*STAFF))]


# The role sets, in one place. "Readers" read the loan book within their regions (households,
# applications, visits, the reviewer's queue); a loan and what hangs off it (its disbursements,
# its repayments) is read by core banking too.
NAME_ROLES = frozenset(
    {
        Role.loan_officer,
        Role.credit_reviewer,
        Role.risk_manager,
        Role.exemption_committee,
        Role.admin,
    }
)
READERS = (Role.loan_officer, Role.credit_reviewer, Role.risk_manager, Role.auditor)
Reader = Annotated[Principal, Depends(require(*READERS))]
LoanReader = Annotated[Principal, Depends(require(*READERS, Role.core_banking))]
