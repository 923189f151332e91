"""CSV and spreadsheet injection (OWASP): a text cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return would be read by Excel as a formula, so every export prefixes such a cell
with a single quote. Numbers are written as numbers and left alone (a negative adjustment stays
a number); only text cells are neutralised."""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value ready for a CSV row."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def sql_text_cell(column: str) -> str:
    """The same rule for a text column of a query that PostgreSQL writes as CSV (COPY); the
    column name is a code constant."""
    return f"CASE WHEN {column} ~ '^[-=+@\\t\\r]' THEN '''' || {column} ELSE {column} END"
