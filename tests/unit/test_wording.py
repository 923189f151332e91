"""Everything the service says has its Chinese (issue 18): enum labels, record names, and each
`Said` written in the code."""

from __future__ import annotations

import ast
import enum
import re
from pathlib import Path

import app.cli
import app.main
from app.core.i18n import NOUNS_ZH, negotiate
from app.domain.labels import ZH, label

APP = Path(app.main.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


MUTANT = re.compile(r"__mutmut_\d+$")


def _calls() -> list[ast.Call]:
    """Every call in app/ as written: under `make mutate` the copied source also holds mutmut's
    variants of each function (`…__mutmut_N`; the original is `…__mutmut_orig`), which are
    not the code and are passed over."""
    calls: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and MUTANT.search(node.name):
            return
        if isinstance(node, ast.Call):
            calls.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for path in APP.rglob("*.py"):
        visit(ast.parse(path.read_text()))
    return calls


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_every_enum_code_has_a_chinese_label() -> None:
    enums = [c for c in _subclasses(enum.StrEnum) if c.__module__.startswith("app.")]
    assert len(enums) > 25
    missing = [f"{c.__name__}.{m.value}" for c in enums for m in c if not CJK.search(label(m))]
    assert missing == []
    stale = set(ZH) - {c.__name__ for c in enums}
    assert stale == set()


def test_every_record_a_refusal_names_has_a_chinese_name() -> None:
    named = set()
    for call in _calls():
        position = {"not_found": 0, "ensure_region": 1, "get_scoped": 4}.get(_name(call))
        if position is None or len(call.args) <= position:
            continue
        arg = call.args[position]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            named.add(arg.value)
        elif isinstance(arg, ast.JoinedStr):  # f"Pending {kind.value} request"
            named.add("Pending {} request")
    assert len(named) > 10
    assert {n for n in named if "{}" not in n} - set(NOUNS_ZH) == set()
    assert {"Pending renewal request", "Pending extension request"} <= set(NOUNS_ZH)


def test_every_said_has_chinese_words_that_differ_from_the_english() -> None:
    said = [c for c in _calls() if _name(c) == "Said" and len(c.args) == 2]
    assert len(said) > 100
    for call in said:
        if not all(isinstance(a, ast.Constant | ast.JoinedStr) for a in call.args):
            continue  # Said(zh, en) passing words made elsewhere
        zh, en = (ast.unparse(a) for a in call.args)
        where = f"line {call.lineno}: {zh}"
        assert zh != en, where
        # a field name with a colon ("id_number：") is the one place without Chinese characters
        assert CJK.search(zh) or "：" in zh or zh == en, where


def test_the_language_negotiated_from_accept_language() -> None:
    assert negotiate(None) == negotiate("") == negotiate("de") == "zh"
    assert negotiate("en-US") == negotiate("EN") == "en"
    assert negotiate("en;q=0.9,zh;q=1") == "zh"
    assert negotiate("zh;q=0, en;q=0.1") == "en"
    assert negotiate("en;q=2") == "zh"  # not a weight


def test_a_chart_axis_has_round_bounds_above_every_value() -> None:
    from decimal import Decimal

    from hypothesis import given
    from hypothesis import strategies as st

    from app.reports.chart import label_of, y_axis

    @given(st.decimals(min_value=0, max_value=1, places=6))
    def bounds(highest: Decimal) -> None:
        top, step = y_axis(highest)
        assert top >= highest and top >= Decimal("0.05")
        assert 4 <= top / step <= 8 and (top / step) == int(top / step)

    bounds()
    assert label_of("520102") == "南明区（520102）"
    assert label_of("560001") == "560001"


def test_a_code_as_a_person_writes_it() -> None:
    from app.domain.labels import code_of

    assert code_of("RepaymentMethod", "等额本息") == "equal_installment"
    assert code_of("RepaymentMethod", "bullet") == "bullet"
    assert code_of("RepaymentMethod", "先息后本", {"先息后本": "interest_then_principal"}) == (
        "interest_then_principal"
    )
    assert code_of("Purpose", "随便") == "随便"  # left for validation to refuse
