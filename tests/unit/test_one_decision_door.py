"""Every four-eyes action goes through app/decisions (STYLE shape 9): no feature writes
decided-by columns or compares maker and checker itself. This reads the code, so a new feature
that brings its own approve step fails here before it reaches an audit."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# the mechanism itself, and the rule it applies
OWNERS = {APP / "decisions", APP / "domain" / "decisions.py"}
# a feature writing who decided, or judging independence, on its own
FORBIDDEN = [
    re.compile(r"\.(decided_by|decided_at|decision_note)\s*(,[^=\n]*)?=[^=]"),
    re.compile(r"\b(check_independent|check_maker_checker)\s*\("),
    re.compile(r"(requested_by|proposed_by|submitted_by)\s*[!=]=\s*principal\.subject"),
    re.compile(r"principal\.subject\s*[!=]=\s*\w+\.(requested_by|proposed_by|submitted_by)"),
]


def _owned(path: Path) -> bool:
    return any(path == owner or owner in path.parents for owner in OWNERS)


def offences() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        if _owned(path):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in FORBIDDEN):
                found.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    return found


def test_no_feature_decides_on_its_own() -> None:
    assert offences() == []


def test_the_check_finds_a_feature_that_does(tmp_path: Path) -> None:
    """The patterns catch the shapes the last audit found (the check cannot pass vacuously)."""
    samples = [
        "row.decided_by, row.decided_at = principal.subject, now",
        "case.decided_by = principal.subject",
        "refuse_unless_passed(rules.check_independent(principal.subject, case.involved))",
        "if row.requested_by == principal.subject:",
    ]
    assert all(any(p.search(s) for p in FORBIDDEN) for s in samples)
