"""RS256 tokens verified against the bank's key set (JWKS), through a key rotation: a new key
is fetched the first time a token names it; a key the set no longer lists stops verifying once
the set is fetched again. Served by a real HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.core.auth import Role, decode_token, issue_token
from app.core.problems import Problem
from app.core.settings import Environment, Settings


class KeySet:
    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def document(self) -> bytes:
        self.fetches += 1
        listed = []
        for kid, private in self.keys.items():
            public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
            listed.append({**public, "kid": kid, "use": "sig", "alg": "RS256"})
        return json.dumps({"keys": listed}).encode()

    def token(self, kid: str, sub: str = "officer-jwks") -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": sub,
            "roles": [Role.loan_officer.value],
            "regions": ["52"],
            "iss": "bank-idp",
            "iat": now,
            "exp": now + timedelta(minutes=5),
        }
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture()
def key_set() -> Iterator[tuple[KeySet, str]]:
    keys = KeySet()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = keys.document()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield keys, f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def settings_for(url: str, cache_seconds: float = 300) -> Settings:
    return Settings(
        jwt_jwks_url=url,
        jwt_jwks_cache_seconds=cache_seconds,
        jwt_jwks_cooldown_seconds=0.2,
        jwt_issuer="bank-idp",
    )


def test_a_rotated_key_is_fetched_on_first_sight(key_set: tuple[KeySet, str]) -> None:
    keys, url = key_set
    keys.add("2026-01")
    settings = settings_for(url)
    assert decode_token(keys.token("2026-01"), settings).subject == "officer-jwks"
    assert keys.fetches == 1
    keys.add("2026-07")  # the bank rotates: the new key is listed beside the old
    time.sleep(0.3)  # past the cooldown, well within the set's 300 s lifespan
    assert decode_token(keys.token("2026-07", sub="after-rotation"), settings).subject == (
        "after-rotation"
    )
    assert keys.fetches == 2
    # the old key still verifies while the set lists it
    assert decode_token(keys.token("2026-01", sub="old"), settings).subject == "old"


def test_a_key_no_longer_listed_stops_verifying(key_set: tuple[KeySet, str]) -> None:
    keys, url = key_set
    keys.add("old")
    settings = settings_for(url, cache_seconds=0.5)
    old_token = keys.token("old", sub="before-revocation")
    assert decode_token(old_token, settings).subject == "before-revocation"
    del keys.keys["old"]
    keys.add("new")
    time.sleep(0.6)  # the cached set has aged out
    with pytest.raises(Problem) as refused:
        decode_token(old_token, settings)
    assert refused.value.status == 401


def test_other_signatures_are_refused_when_the_bank_signs(key_set: tuple[KeySet, str]) -> None:
    keys, url = key_set
    keys.add("k1")
    settings = settings_for(url)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"sub": "x", "roles": ["admin"], "regions": ["*"], "iss": "bank-idp", "exp": 2**31},
        stranger,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    hs256 = issue_token("dev", [Role.admin], ["*"], settings=settings)
    for token in (forged, hs256):
        with pytest.raises(Problem) as refused:
            decode_token(token, settings)
        assert refused.value.status == 401


def test_production_accepts_a_key_set_instead_of_a_secret(key_set: tuple[KeySet, str]) -> None:
    _, url = key_set
    Settings(environment=Environment.production, jwt_jwks_url=url, **_production_keys())
    with pytest.raises(ValueError, match="JWT_JWKS_URL"):
        Settings(environment=Environment.production, **_production_keys())


def _production_keys() -> dict[str, Any]:
    import base64
    import os

    return {
        "simulated_today": None,
        "allow_future_business_dates": False,
        "data_encryption_key": base64.b64encode(os.urandom(32)).decode(),
        "data_hash_key": base64.b64encode(os.urandom(32)).decode(),
        "bank_name": "某县农村商业银行",
    }


def test_an_unreachable_key_set_is_503_not_401() -> None:
    settings = settings_for("http://127.0.0.1:9/jwks.json")
    keys = KeySet()
    keys.add("k")
    with pytest.raises(Problem) as refused:
        decode_token(keys.token("k"), settings)
    assert refused.value.status == 503
