"""The language a response speaks: Simplified Chinese unless the client asks for English.

`Accept-Language` is weighed as RFC 9110 §12.5.4 says; a tag counts by its primary subtag
(`zh-CN`, `zh-Hans` are zh; `en-GB` is en). With no header, or none of ours, it is zh: the
people who use this service read Chinese. JSON field names and enum codes never change.
"""

from __future__ import annotations

from contextvars import ContextVar
from http import HTTPStatus

from app.domain.wording import Said, said_of

__all__ = ["Said", "language_var", "negotiate", "noun", "said_of", "status_title"]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
language_var: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def negotiate(header: str | None) -> str:
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # the first listed wins a tie; `*` and other languages leave the default
        if primary in LANGUAGES and q > best_q and 0 < q <= 1:
            best, best_q = primary, q
    return best


_TITLES_ZH = {
    400: "请求有误",
    401: "未通过身份认证",
    403: "无权操作",
    404: "未找到",
    405: "不支持该请求方法",
    406: "无法提供所要求的格式",
    409: "与当前状态冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "请求内容有误",
    428: "缺少前置条件",
    429: "请求过于频繁",
    431: "请求头过大",
    500: "服务内部错误",
    503: "服务暂不可用",
}


def status_title(status: int) -> Said:
    phrase = HTTPStatus(status).phrase
    return Said(_TITLES_ZH.get(status, phrase), phrase)


# The records a refusal may name (`not_found("Loan")`, `ensure_region(code, "Loan")`), in
# Chinese. tests/unit/test_wording.py holds every name used in the code to this table.
NOUNS_ZH = {
    "Application": "申请",
    "Attachment": "证据材料",
    "Audit event": "审计记录",
    "Evidence record": "可附证据的记录",
    "Collection case": "催收案件",
    "ConsoleSession": "控制台会话",
    "Disbursement": "放款",
    "Disbursement action": "放款处理请求",
    "Exemption case": "尽职免责案件",
    "Household": "农户",
    "Household member": "家庭成员",
    "Job": "任务",
    "Loan": "贷款",
    "Message": "短信",
    "Member": "家庭成员",
    "Officer reassignment": "客户经理调整",
    "Pending extension request": "待审批的展期申请",
    "Pending renewal request": "待审批的续贷申请",
    "Promise to pay": "还款承诺",
    "Reassignment": "客户经理调整",
    "Region": "地区",
    "Repayment": "还款",
    "Subsidy claim": "贴息申报",
    "Visit": "贷后走访",
    "Write-off": "核销",
    "Decision": "审批事项",
    "Reversal case": "待处理的冲正",
}


def noun(what: str) -> Said:
    return Said(NOUNS_ZH.get(what, what), what)
