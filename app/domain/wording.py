"""What the service says to a person: Simplified Chinese first, English beside it (issue 18).

Every refusal, rule verdict and row error is a `Said`; the language is chosen only where the
words leave the service (problem details, exports), from the request's `Accept-Language`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Said:
    zh: str
    en: str

    def in_(self, language: str) -> str:
        return self.en if language == "en" else self.zh

    def __str__(self) -> str:  # logs and tracebacks are read by engineers
        return self.en

    def __add__(self, other: Said) -> Said:
        return Said(self.zh + other.zh, self.en + other.en)


def said_of(exc: BaseException) -> Said:
    """The words an exception was raised with (a `Said`, or one English string for both)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Said) else Said(str(exc), str(exc))
