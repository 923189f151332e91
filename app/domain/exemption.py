"""Due-diligence exemption (尽职免责; notice 2.1 and 3.1, under 金规〔2024〕11号): when a loan goes
bad, whether the staff who made and managed it are held responsible. A case gathers the
evidence, a committee independent of everyone involved decides, one appeal is heard, and the
answer is final. Pure: the steps, who may take them, and the seeded catalogue."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from app.domain.rules import RuleResult, rule


class CaseStatus(StrEnum):
    opened = "opened"
    evidence_reviewed = "evidence_reviewed"
    decided = "decided"
    appealed = "appealed"
    final = "final"


class Outcome(StrEnum):
    exempt = "exempt"  # 免责
    partly_exempt = "partly_exempt"  # 部分免责
    not_exempt = "not_exempt"  # 不予免责


class EntryKind(StrEnum):
    situation = "situation"  # 可免责情形
    aggravating = "aggravating"  # 不得免责或从重情形


# The moves a case makes, each by one step of the process.
STEPS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.opened: frozenset({CaseStatus.evidence_reviewed}),
    CaseStatus.evidence_reviewed: frozenset({CaseStatus.decided}),
    CaseStatus.decided: frozenset({CaseStatus.appealed}),
    CaseStatus.appealed: frozenset({CaseStatus.final}),
    CaseStatus.final: frozenset(),
}

# Seeded catalogue: (code, kind, 中文, English). The bank edits it (an administrator adds or
# retires entries); these are the usual ones.
SEED: tuple[tuple[str, EntryKind, str, str], ...] = (
    (
        "followed_procedures",
        EntryKind.situation,
        "按照规定程序调查、审批、发放和管理，决策符合当时制度",
        "Investigated, approved, paid out and managed following the approved procedures",
    ),
    (
        "natural_disaster",
        EntryKind.situation,
        "因自然灾害等不可抗力造成损失",
        "Loss caused by a natural disaster or other force majeure",
    ),
    (
        "epidemic",
        EntryKind.situation,
        "因重大疫情造成损失",
        "Loss caused by a major epidemic",
    ),
    (
        "policy_change",
        EntryKind.situation,
        "因国家政策调整造成损失",
        "Loss caused by a change of state policy",
    ),
    (
        "undetectable_fraud",
        EntryKind.situation,
        "借款人欺诈，尽职调查难以发现",
        "Borrower fraud that due care could not have detected",
    ),
    (
        "reported_in_time",
        EntryKind.situation,
        "风险发生后及时报告并积极采取措施",
        "The problem was reported in time and acted on",
    ),
    (
        "procedures_skipped",
        EntryKind.aggravating,
        "未按规定程序调查、审批或管理",
        "Procedures were skipped",
    ),
    (
        "evidence_missing",
        EntryKind.aggravating,
        "调查或管理资料缺失",
        "Evidence of the investigation or management is missing",
    ),
    (
        "conflict_of_interest",
        EntryKind.aggravating,
        "存在利益冲突或违规干预",
        "A conflict of interest or improper interference",
    ),
)


def may_move(start: CaseStatus, to: CaseStatus) -> bool:
    return to in STEPS[start]


def outcome_consistent(
    outcome: Outcome, situations: Collection[str], aggravating: Collection[str]
) -> RuleResult:
    """An exemption rests on at least one catalogued situation; full exemption is not given
    over an aggravating finding."""
    ok = outcome is Outcome.not_exempt or (
        bool(situations) and not (outcome is Outcome.exempt and aggravating)
    )
    return rule(
        "exemption_grounds",
        "2.1",
        ok,
        "认定结论与所列情形一致" if ok else "免责须有所列可免责情形，且存在从重情形时不得全部免责",
        "The outcome matches the situations found"
        if ok
        else "An exemption needs a catalogued situation, and no full exemption over an"
        " aggravating finding",
    )
