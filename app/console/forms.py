"""The console's forms, declared as data: each field's Chinese label and kind, read from what
was typed into what the API takes (app/core/zh_input.py reads amounts, rates and dates as
people write them). A field that cannot be read is named with its label and what is expected;
a form that fails is shown again with everything typed in it. No business rule lives here:
the API decides, and its refusal is shown as it said it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core import zh_input
from app.core.zh_input import InputError
from app.domain.labels import ZH

Kind = Literal["text", "long", "amount", "rate", "date", "whole", "choice", "many", "flag", "list"]
Typed = Mapping[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the API's field
    label: str  # as the page shows it
    kind: Kind = "text"
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (code, label)
    today: bool = False  # a date field's default: the county's business date
    hint: str = ""
    max_length: int = 2000


def choices_of(enum: str, *only: str) -> tuple[tuple[str, str], ...]:
    """An enum's codes with their Chinese labels (app/domain/labels.py), or only some."""
    labels = ZH[enum]
    return tuple((code, text) for code, text in labels.items() if not only or code in only)


@dataclass(frozen=True, slots=True)
class Form:
    fields: tuple[Field, ...]
    button: str
    note: str = ""
    confirm: str = ""  # asked before sending (irreversible actions)

    def read(self, typed: Typed) -> tuple[dict[str, Any], list[str]]:
        """The API body, and every field that cannot be read (`标签：what is expected`)."""
        body: dict[str, Any] = {}
        errors: list[str] = []
        for f in self.fields:
            raw = typed.get(f.name, [] if f.kind == "many" else "")
            try:
                value = read_field(f, raw)
            except InputError as exc:
                errors.append(f"{f.label}：{exc}")
                continue
            if value is not None:
                body[f.name] = value
        return body, errors


_LIST_SPLIT = re.compile(r"[，,、;；\n]+")


def read_field(f: Field, raw: str | list[str]) -> Any:
    """One field's value for the API; None when an optional field is left empty."""
    if f.kind == "many":
        picked = [raw] if isinstance(raw, str) else list(raw)
        picked = [p for p in picked if p]
        known = {code for code, _ in f.choices}
        if any(p not in known for p in picked):
            raise InputError("所选项无效")
        if f.required and not picked:
            raise InputError("请至少选择一项")
        return picked
    text = (raw if isinstance(raw, str) else (raw[0] if raw else "")).strip()
    if f.kind == "flag":
        return bool(text)
    if not text:
        if f.required:
            raise InputError("必填" if f.kind != "choice" else "请选择")
        return None
    if len(text) > f.max_length:
        raise InputError(f"至多 {f.max_length} 个字")
    return _READERS[f.kind](f, text)


def _choice(f: Field, text: str) -> str:
    if text not in {code for code, _ in f.choices}:
        raise InputError("请从列表中选择")
    return text


_READERS: dict[str, Any] = {
    "text": lambda f, t: t,
    "long": lambda f, t: t,
    "amount": lambda f, t: f"{zh_input.amount(t):.2f}",
    "rate": lambda f, t: format(zh_input.rate(t), "f"),
    "date": lambda f, t: zh_input.day(t).isoformat(),
    "whole": lambda f, t: zh_input.whole(t),
    "choice": _choice,
    "list": lambda f, t: [part.strip() for part in _LIST_SPLIT.split(t) if part.strip()],
}


@dataclass(frozen=True, slots=True)
class Shown:
    """A form as a page shows it: where it posts, what was typed, what went wrong."""

    form: Form
    action: str
    typed: Mapping[str, Any] = field(default_factory=dict)
    errors: Sequence[str] = ()
    problem: str = ""
    today: str = ""
    id: str = "form"


def read(typed: Typed, *fields: Field) -> tuple[dict[str, Any], list[str]]:
    """Some fields of a page's own form (the origination pages), read as any declared form."""
    return Form(fields, "").read(typed)


# The origination pages' fields that need reading (app/console/router.py, loan_pages.py).
RATING = (
    Field("annual_household_income", "家庭年收入（元）", "amount"),
    Field("annual_production_income", "生产经营年收入（元）", "amount"),
    Field("assets", "家庭资产（元）", "amount"),
    Field("liabilities", "家庭负债（元）", "amount"),
    Field("annual_existing_repayments", "现有年还款额（元）", "amount"),
    Field("production_experience_years", "生产经营年限", "whole"),
    Field("bureau_worst_days_past_due_24m", "近 24 个月征信最长逾期天数", "whole"),
)
APPLYING = (
    Field("amount", "申请金额", "amount"),
    Field("term_months", "期限（月）", "whole"),
)
DECIDING = (
    Field("amount", "批准金额", "amount"),
    Field("term_months", "期限（月）", "whole"),
    Field("annual_rate", "年利率", "rate"),
)
TRIAL_RATE = (Field("annual_rate", "参考年利率", "rate"),)
RENEWAL_RATE = (Field("annual_rate", "新贷款年利率", "rate", required=False),)
MONTHS = (Field("months", "月数", "whole"),)
VISITED = (Field("visited_on", "日期", "date"),)


# The API's fields as the console's pages name them, for naming a refusal's fields where a
# page's own form does not (app/console/api.Answer.problem).
FIELD_LABELS = {
    "amount": "金额",
    "term_months": "期限（月）",
    "annual_rate": "年利率",
    "purpose": "用途",
    "purpose_detail": "用途说明",
    "repayment_method": "还款方式",
    "applicant_member_id": "借款人",
    "large_production_reason": "扩大生产的理由",
    "large_production_category": "扩大生产的类别",
    "rate_reason": "利率偏离建议的理由",
    "reason_codes": "拒绝理由",
    "note": "说明",
    "notes": "记录",
    "reason": "事由",
    "visited_on": "日期",
    "investigators": "调查人",
    "project_findings": "调查情况",
    "finding": "资金使用情况",
    "months": "月数",
    "village_opinion": "村委会评议意见",
    "annual_household_income": "家庭年收入",
    "annual_production_income": "生产经营年收入",
    "assets": "家庭资产",
    "liabilities": "家庭负债",
    "annual_existing_repayments": "现有年还款额",
    "production_experience_years": "生产经营年限",
    "bureau_worst_days_past_due_24m": "近 24 个月征信最长逾期天数",
    "region_code": "县级区划代码",
    "address": "家庭住址",
    "household_number": "户编号",
    "disbursement_account": "放款账号",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "relation": "与户主关系",
    "status": "状态",
    "risk_class": "风险分类",
    "evidence": "材料",
    "period": "期间",
    "outcome": "结果",
}
