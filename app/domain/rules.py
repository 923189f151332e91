"""A rule's verdict: stable code, policy clause and a message in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.domain.wording import Said

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    code: str
    clause: str
    passed: bool
    message_zh: str
    message_en: str
    # "warning": a failure does not refuse; the decider reads it and acknowledges it
    level: Level = "error"

    @property
    def message(self) -> Said:
        return Said(self.message_zh, self.message_en)


def rule(
    code: str, clause: str, passed: bool, zh: str, en: str, *, level: Level = "error"
) -> RuleResult:
    return RuleResult(
        code=code, clause=clause, passed=passed, message_zh=zh, message_en=en, level=level
    )


def failures(results: list[RuleResult]) -> list[RuleResult]:
    """The rules that refuse: failed, and not warnings."""
    return [r for r in results if not r.passed and r.level == "error"]
