"""A rule's verdict: stable code, policy clause and a message in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.wording import Said


@dataclass(frozen=True, slots=True)
class RuleResult:
    code: str
    clause: str
    passed: bool
    message_zh: str
    message_en: str

    @property
    def message(self) -> Said:
        return Said(self.message_zh, self.message_en)


def rule(code: str, clause: str, passed: bool, zh: str, en: str) -> RuleResult:
    return RuleResult(code=code, clause=clause, passed=passed, message_zh=zh, message_en=en)


def failures(results: list[RuleResult]) -> list[RuleResult]:
    return [r for r in results if not r.passed]
