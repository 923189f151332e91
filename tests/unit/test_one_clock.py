"""One business clock (issue 27): app/core/clock.py is the only code that asks the wall clock
for a date or a time, and nothing else asks for the national date by itself. A county's day is
`clock.today(session, region_code)`, whose fallback to the national date is the one behaviour
(`clock.county_day`); an instant is `clock.now()`. Token validity (`time.time`, as PyJWT reads
it) and durations (`time.monotonic`) are not business time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK = ROOT / "app" / "core" / "clock.py"
_WALL = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today")}
_NATIONAL = {"business_today", "_national_today"}


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in _WALL:
                found.append(f"{node.value.id}.{node.attr} at line {node.lineno}")
            if node.value.id == "clock" and node.attr in _NATIONAL:
                found.append(f"clock.{node.attr} at line {node.lineno}")
        elif isinstance(node, ast.Name) and node.id in _NATIONAL:
            found.append(f"{node.id} at line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "app.core.clock":
            found += [f"imports {a.name}" for a in node.names if a.name in _NATIONAL]
    return found


def test_only_the_clock_reads_the_wall_clock() -> None:
    offences = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "app").rglob("*.py"))
        if path != CLOCK and (found := _offences(path))
    }
    assert offences == {}


def test_the_check_sees_what_it_forbids() -> None:
    sample = ROOT / ".test-output" / "clock_sample.py"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text(
        "from datetime import date, datetime\n"
        "from app.core.clock import business_today\n"
        "a = datetime.now()\nb = date.today()\nc = business_today()\n"
    )
    assert len(_offences(sample)) == 4
