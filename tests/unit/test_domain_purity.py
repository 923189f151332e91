"""app/domain is the notice in code: it must import no framework, database or I/O code."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "httpx",
    "requests",
    "pydantic",
    "app.core",
    "app.api",
    "app.db",
)
ALLOWED_APP = "app.domain"


def forbidden_imports(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.startswith(FORBIDDEN) or (
                name.startswith("app.") and not name.startswith(ALLOWED_APP)
            ):
                found.append(name)
    return found


def test_the_checker_catches_forbidden_imports() -> None:
    assert forbidden_imports("import sqlalchemy.orm") == ["sqlalchemy.orm"]
    assert forbidden_imports("from fastapi import Depends") == ["fastapi"]
    assert forbidden_imports("def f():\n    from app.core.db import Base") == ["app.core.db"]
    assert forbidden_imports("from app.loans.models import Loan") == ["app.loans.models"]
    assert forbidden_imports("from decimal import Decimal\nfrom app.domain import money") == []


def test_domain_imports_no_framework_database_or_io() -> None:
    offenders = {
        str(path.relative_to(DOMAIN)): bad
        for path in sorted(DOMAIN.rglob("*.py"))
        if (bad := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert len(list(DOMAIN.rglob("*.py"))) >= 8
