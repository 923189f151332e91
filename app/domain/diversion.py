"""Wording that says the money may not stay in the household's own production (1.8: 户借、户用、
户还; no marriage, house-building, wealth management or household goods; never handed to an
enterprise by share-holding and dividends, on-lending or quota swaps; 4.2: 户贷企用 corrected).

Free text is not a finding: a hit is a warning-level rule a reviewer must acknowledge in the
decision, never a refusal. The list is the bank's to extend; each word names what it signals."""

from __future__ import annotations

from app.domain.rules import RuleResult, rule

ENTERPRISE = "交由企业或其他组织使用"
SHARES = "入股分红"
ON_LENDING = "转贷、指标交换"
NON_PRODUCTIVE = "非生产性支出"

# (word, what it signals). Substrings of Simplified Chinese text: short, specific words only.
WORDS: tuple[tuple[str, str], ...] = (
    ("入股", SHARES),
    ("股份", SHARES),
    ("股金", SHARES),
    ("分红", SHARES),
    ("有限公司", ENTERPRISE),
    ("公司使用", ENTERPRISE),
    ("企业使用", ENTERPRISE),
    ("交给企业", ENTERPRISE),
    ("企业统一", ENTERPRISE),
    ("转贷", ON_LENDING),
    ("转借", ON_LENDING),
    ("借给他人", ON_LENDING),
    ("放贷", ON_LENDING),
    ("指标交换", ON_LENDING),
    ("结婚", NON_PRODUCTIVE),
    ("彩礼", NON_PRODUCTIVE),
    ("建房", NON_PRODUCTIVE),
    ("盖房", NON_PRODUCTIVE),
    ("购房", NON_PRODUCTIVE),
    ("买房", NON_PRODUCTIVE),
    ("装修", NON_PRODUCTIVE),
    ("理财", NON_PRODUCTIVE),
    ("炒股", NON_PRODUCTIVE),
    ("家用电器", NON_PRODUCTIVE),
)


def found_in(*texts: str | None) -> list[tuple[str, str]]:
    """The listed words the texts contain, each once, in the list's order."""
    joined = "\n".join(t for t in texts if t)
    return [(word, signal) for word, signal in WORDS if word in joined]


def check_diversion_wording(*texts: str | None) -> RuleResult:
    """Clause 1.8 (and 4.2): the purpose detail and the officers' notes do not speak of
    enterprise use, share-holding, dividends, on-lending or non-productive spending. A warning:
    the reviewer reads it and acknowledges it in the decision."""
    hits = found_in(*texts)
    words = "、".join(f"“{word}”" for word, _ in hits)
    signals = "、".join(dict.fromkeys(signal for _, signal in hits))
    return rule(
        "diversion_wording",
        "1.8",
        not hits,
        "用途说明和调查、走访记录未见改变用途的字样"
        if not hits
        else f"用途说明或调查、走访记录含有{words}，可能属于{signals}（户贷企用），请核实后确认",
        "The purpose and the notes use no wording of diversion"
        if not hits
        else f"The purpose or the notes say {', '.join(w for w, _ in hits)}: possibly "
        "enterprise use, share-holding, on-lending or non-productive spending; check and "
        "acknowledge",
        level="warning",
    )
