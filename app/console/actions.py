"""Every write a person does from the console beyond origination, one entry each: the form
(app/console/forms.py), the API call it makes as the person signed in, and where the page goes
after. The API decides; the console only carries what was typed to it (issue 28).

An action's `subject` is what it acts on: a loan, a case, a decision, a county's code, or `-`
for none; two ids (a household and its member) are joined by `~`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from app.console.forms import Field, Form, Shown, choices_of

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    title: str
    form: Form
    path: str  # the API's, `{0}` (and `{1}`) the subject's parts
    back: str  # the console page after, `{0}` the subject, `{id}` the answer's id
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    shape: Callable[[Body], Body] | None = None  # the form's values into the API's body
    send_body: bool = True
    # the API's field paths the form's labels do not name by themselves (a shaped body's)
    paths: tuple[tuple[str, str], ...] = ()

    def labels(self) -> dict[str, str]:
        """The API's fields by the labels the form shows, for naming its refusals."""
        return {**{f.name: f.label for f in self.form.fields}, **dict(self.paths)}


def _members(body: Body) -> Body:
    """A household's form: the head and, when given, one more member."""
    members = [
        {
            "name": body.pop("head_name"),
            "id_number": body.pop("head_id_number"),
            "relation": "head",
            **({"phone": body.pop("head_phone")} if "head_phone" in body else {}),
        }
    ]
    if "other_name" in body or "other_id_number" in body:
        members.append(
            {
                "name": body.pop("other_name", ""),
                "id_number": body.pop("other_id_number", ""),
                "relation": body.pop("other_relation", "spouse"),
            }
        )
    body.pop("other_relation", None)
    return {**body, "members": members}


def _participants(body: Body) -> Body:
    role = body.pop("participant_role")
    names = body.pop("participants")
    return {**body, "participants": [{"role": role, "name": n} for n in names]}


def _facts(body: Body) -> Body:
    """Only what the officer found: a box left as it was is not sent."""
    found = {
        k: v == "yes" for k in ("full_civil_capacity", "has_labor_skills") if (v := body.get(k))
    }
    return {**found, "reason": body["reason"]}


def _outcome_form(step: str, button: str) -> Form:
    """The committee's decision and its final one after an appeal (2.1): the same fields."""
    return Form(
        (
            Field("outcome", f"{step}结果", "choice", choices=choices_of("Outcome")),
            Field("reasons", f"{step}理由", "long", max_length=4000),
            Field("situations", "适用的免责情形（代码）", "list", required=False),
        ),
        button,
    )


YES_NO = (("yes", "是"), ("no", "否"))
APPROVE = (("approve", "同意"), ("decline", "不同意"))
ROLES = choices_of("ParticipantRole")
REASON = Field("reason", "事由", "long", max_length=1000)
TODAY = Field("taken_on", "日期", "date", required=False, today=True)

ACTIONS: dict[str, Action] = {
    # --- officers ------------------------------------------------------------------------
    "register_household": Action(
        "登记农户",
        Form(
            (
                Field("region_code", "县级区划代码", hint="6 位，如 520102", max_length=12),
                Field("address", "家庭住址", max_length=200),
                Field("household_number", "户编号（监测系统）", required=False, max_length=40),
                Field("disbursement_account", "放款账号", max_length=40),
                Field("head_name", "户主姓名", max_length=100),
                Field("head_id_number", "户主身份证号", max_length=18),
                Field("head_phone", "户主手机号", required=False, max_length=11),
                Field("other_name", "其他成员姓名", required=False, max_length=100),
                Field("other_id_number", "其他成员身份证号", required=False, max_length=18),
                Field(
                    "other_relation",
                    "其他成员与户主关系",
                    "choice",
                    required=False,
                    choices=choices_of("Relation", "spouse", "child", "parent", "sibling", "other"),
                ),
            ),
            "登记",
        ),
        "/v1/households",
        "/console/households/{id}",
        shape=_members,
        paths=(
            ("members.0.name", "户主姓名"),
            ("members.0.id_number", "户主身份证号"),
            ("members.0.phone", "户主手机号"),
            ("members.1.name", "其他成员姓名"),
            ("members.1.id_number", "其他成员身份证号"),
            ("members.1.relation", "其他成员与户主关系"),
            ("members", "家庭成员"),
        ),
    ),
    "member_facts": Action(
        "核实成员情况",
        Form(
            (
                Field("full_civil_capacity", "具有完全民事行为能力", "choice", False, YES_NO),
                Field("has_labor_skills", "具有劳动技能", "choice", False, YES_NO),
                Field("reason", "核实依据", "long", max_length=500),
            ),
            "记录核实结果",
        ),
        "/v1/households/{0}/members/{1}",
        "/console/households/{0}",
        method="PATCH",
        shape=_facts,
    ),
    "message_preference": Action(
        "退订或恢复短信",
        Form(
            (
                Field("opted_out", "不再接收短信", "choice", choices=YES_NO),
                Field("reason", "农户的要求", "long", max_length=500),
            ),
            "登记",
            note="退订后该户不再收到任何短信（提醒、通知、政策提示），须由客户经理另行告知。",
        ),
        "/v1/households/{0}/message-preference",
        "/console/households/{0}",
        method="PUT",
        shape=lambda body: {**body, "opted_out": body["opted_out"] == "yes"},
    ),
    "withdraw": Action(
        "撤回申请",
        Form((), "撤回申请", confirm="撤回后申请不能恢复，确定撤回吗？"),
        "/v1/applications/{0}/withdrawal",
        "/console/applications/{0}",
        send_body=False,
    ),
    "disburse": Action(
        "发起放款",
        Form((), "发起放款", note="放款指令发往核心系统，由核心系统回告结果。"),
        "/v1/loans/{0}/disbursements",
        "/console/loans/{0}",
        send_body=False,
    ),
    "disbursement_action": Action(
        "放款重发或撤销",
        Form(
            (Field("kind", "操作", "choice", choices=choices_of("ActionKind")), REASON),
            "提交（需另一人审批）",
        ),
        "/v1/disbursements/{0}/actions",
        "/console/inbox",
    ),
    "collection_action": Action(
        "登记催收",
        Form(
            (
                Field("kind", "催收方式", "choice", choices=choices_of("CollectionActionKind")),
                TODAY,
                Field(
                    "participant_role",
                    "参与人身份",
                    "choice",
                    choices=choices_of("ParticipantRole"),
                ),
                Field("participants", "参与人姓名", "list", hint="多人用顿号或逗号分隔"),
                Field("findings", "了解到的情况", "many", False, choices_of("Finding")),
                Field("notes", "催收记录", "long", max_length=4000),
                Field("next_step", "下一步", required=False, max_length=1000),
                Field("next_action_on", "下次跟进日期", "date", required=False),
            ),
            "登记",
        ),
        "/v1/collection-cases/{0}/actions",
        "/console/collections/{0}",
        shape=_participants,
        paths=(("participants", "参与人姓名"),),
    ),
    "promise": Action(
        "登记还款承诺",
        Form(
            (
                Field("promised_on", "承诺还款日", "date"),
                Field("amount", "承诺金额（元）", "amount", hint="如 5,000 或 0.5万"),
            ),
            "登记承诺",
        ),
        "/v1/collection-cases/{0}/promises",
        "/console/collections/{0}",
    ),
    "propose_write_off": Action(
        "提议核销",
        Form(
            (
                Field("grounds", "核销依据", "choice", choices=choices_of("WriteOffGrounds")),
                Field("reason", "情况说明", "long", max_length=2000),
                Field("evidence", "已归档的材料", "list", hint="如 催收记录、村委会证明"),
            ),
            "提交核销（需另一人审批）",
        ),
        "/v1/loans/{0}/write-offs",
        "/console/loans/{0}",
    ),
    "open_exemption": Action(
        "申请尽职免责",
        Form(
            (
                Field("statement", "情况陈述", "long", max_length=4000),
                Field("claimed_situations", "所依据的免责情形（代码）", "list", required=False),
            ),
            "提交",
        ),
        "/v1/loans/{0}/exemption-cases",
        "/console/exemptions/{id}",
    ),
    # --- reviewers and committees ----------------------------------------------------------
    "decide": Action(
        "审批",
        Form(
            (
                Field(
                    "outcome",
                    "审批结果",
                    "choice",
                    choices=(("approve", "同意"), ("decline", "不同意")),
                ),
                Field("note", "审批意见", "long", required=False, max_length=1000),
            ),
            "提交审批",
        ),
        "/v1/decisions/{0}/decision",
        "/console/inbox",
    ),
    "exemption_review": Action(
        "免责初审",
        Form((Field("notes", "初审意见", "long", max_length=4000),), "提交初审"),
        "/v1/exemption-cases/{0}/review",
        "/console/exemptions/{0}",
    ),
    "exemption_decision": Action(
        "免责认定",
        _outcome_form("认定", "提交认定"),
        "/v1/exemption-cases/{0}/decision",
        "/console/exemptions/{0}",
    ),
    "exemption_final": Action(
        "复议决定",
        _outcome_form("复议", "提交复议决定"),
        "/v1/exemption-cases/{0}/final-decision",
        "/console/exemptions/{0}",
    ),
    "exemption_appeal": Action(
        "申诉",
        Form((Field("reason", "申诉理由", "long", max_length=4000),), "提交申诉"),
        "/v1/exemption-cases/{0}/appeal",
        "/console/exemptions/{0}",
    ),
    # --- risk managers -------------------------------------------------------------------
    "lending_status": Action(
        "暂停或恢复放贷",
        Form(
            (Field("status", "放贷状态", "choice", choices=choices_of("LendingStatus")), REASON),
            "提交",
            note="恢复放贷需另一名风险经理审批（4.3）。",
        ),
        "/v1/regions/{0}/lending-status",
        "/console/counties/{0}",
        method="PUT",
    ),
    "message_settings": Action(
        "还款提醒天数",
        Form(
            (
                Field(
                    "reminder_days",
                    "到期前几天提醒",
                    "list",
                    hint="每行一个天数，1 至 30，最多五个",
                ),
            ),
            "保存",
        ),
        "/v1/regions/{0}/message-settings",
        "/console/counties/{0}",
        method="PUT",
    ),
    "risk_class": Action(
        "调整风险分类",
        Form(
            (
                Field("risk_class", "风险分类", "choice", choices=choices_of("RiskClass")),
                REASON,
                Field("evidence", "依据材料", "list", required=False),
            ),
            "提交",
            note="只能调为更差的分类；可疑、损失需依据材料并经另一名风险经理审批。",
        ),
        "/v1/loans/{0}/risk-class",
        "/console/loans/{0}",
        method="PUT",
    ),
    "reassign": Action(
        "客户经理移交",
        Form(
            (
                Field("from_officer", "原客户经理", max_length=200),
                Field("to_officer", "接手客户经理", max_length=200),
                REASON,
            ),
            "提交移交（需另一人审批）",
        ),
        "/v1/officer-reassignments",
        "/console/inbox",
    ),
    # --- finance -------------------------------------------------------------------------
    "claim_submit": Action(
        "提交贴息申领",
        Form(
            (
                Field("period", "申领期间", hint="如 2027-03 或 2027Q1", max_length=7),
                Field("region_code", "县级区划代码", max_length=12),
            ),
            "提交（提交后冻结）",
            confirm="提交后本期申领冻结，确定提交吗？",
        ),
        "/v1/reports/subsidy-claims/submissions",
        "/console/finance",
    ),
    "claim_payment": Action(
        "登记财政拨付",
        Form(
            (
                Field("paid_central", "中央贴息到账（元）", "amount"),
                Field("paid_local", "地方贴息到账（元）", "amount"),
                Field("paid_on", "到账日期", "date", today=True),
                Field("reference", "到账凭证号", max_length=100),
            ),
            "登记",
        ),
        "/v1/reports/subsidy-claims/{0}/payment",
        "/console/finance",
    ),
}


def shown(names: tuple[str, ...], subject: str, today: str = "") -> dict[str, Shown]:
    """Actions' forms as a page embeds them, posting to /console/do/{name}/{subject}."""
    return {
        name: Shown(ACTIONS[name].form, f"/console/do/{name}/{subject}", today=today, id=name)
        for name in names
    }
