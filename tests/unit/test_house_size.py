"""A house a newcomer reads in an afternoon (issue 27): no Python file in app/ over 600 lines,
no function over 80. A longer one is split into steps that read as the process they are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80


# Under `make mutate` app/domain's copies also hold mutmut's variants of every function
# (`…__mutmut_N`): not the code, and passed over (as tests/unit/test_wording.py does).
MUTANT = re.compile(r"__mutmut_\d+$")


def _sources() -> list[Path]:
    return sorted(
        p
        for p in APP.rglob("*.py")
        if "static" not in p.parts and "__mutmut_orig" not in p.read_text()
    )


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not MUTANT.search(node.name)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_file_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(APP.parent)): n
        for p in _sources()
        if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_is_over_80_lines() -> None:
    long = {
        str(p.relative_to(APP.parent)): found
        for p in _sources()
        if (found := long_functions(p.read_text()))
    }
    assert long == {}


def test_the_check_counts_a_function_from_def_to_its_last_line() -> None:
    body = "\n".join(f"    x = {i}" for i in range(80))
    assert long_functions(f"def f():\n{body}\n") == ["f (81 lines)"]
    assert long_functions(f"def g():\n{body[: body.rindex(chr(10))]}\n") == []
