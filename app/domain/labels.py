"""Chinese labels of the enum codes (issue 18).

JSON carries the stable English codes; exports, messages and the API document's descriptions
show these labels beside them. Keyed by the enum's class name, then its code.
tests/unit/test_wording.py holds every enum member in the service to this table.
"""

from __future__ import annotations

from enum import StrEnum

ZH: dict[str, dict[str, str]] = {
    "Purpose": {
        "planting": "种植业",
        "livestock": "养殖业（畜禽）",
        "aquaculture": "水产养殖",
        "processing": "农产品加工",
        "trade": "商贸流通",
        "rural_tourism": "乡村旅游",
        "farm_equipment": "农机具购置",
        "facility_agriculture": "设施农业",
        "other_production": "其他生产经营",
        "marriage": "婚丧嫁娶",
        "housing": "建房购房",
        "wealth_management": "理财投资",
        "household_goods": "生活消费",
        "enterprise_use": "企业使用（户贷企用）",
        "relending": "转借他人",
    },
    "RepaymentMethod": {
        "equal_installment": "等额本息",
        "equal_principal": "等额本金",
        "interest_then_principal": "按期付息、到期还本",
        "bullet": "利随本清",
    },
    "CollectionActionKind": {
        "phone_call": "电话催收",
        "home_visit": "上门催收",
        "village_committee": "村委会协助",
        "first_secretary": "驻村第一书记协助",
        "work_team": "驻村工作队协助",
    },
    "Finding": {
        "hardship": "经营困难",
        "illness": "因病",
        "disaster": "因灾",
        "misuse": "挪用贷款",
        "refusal_to_pay": "恶意拒还",
        "willing_to_pay": "有还款意愿",
    },
    "PromiseStatus": {"open": "待履行", "kept": "已履行", "broken": "未履行"},
    "DecisionKind": {
        "application": "贷款申请审批",
        "renewal": "续贷",
        "extension": "展期",
        "write_off": "核销",
        "exemption": "尽职免责认定",
        "exemption_appeal": "尽职免责复议",
        "reassignment": "客户经理移交",
        "disbursement_cancel": "撤销放款",
        "disbursement_resend": "重发放款指令",
        "misuse_correction": "挪用整改确认",
        "class_override": "风险分类调整",
        "lpr_entry": "LPR 录入",
        "subsidy_programme": "地方贴息方案",
        "region_settings": "地区贴息设置",
        "suspension_lift": "解除暂停放款",
    },
    "DecisionStatus": {
        "pending": "待审批",
        "approved": "已批准",
        "declined": "已否决",
        "withdrawn": "已撤回",
    },
    "CloseReason": {
        "current": "已恢复正常",
        "closed": "已结清",
        "renewed": "已续贷",
        "written_off": "已核销",
    },
    "WriteOffGrounds": {"loss_class": "损失类", "collection_exhausted": "催收手段已用尽"},
    "FundUse": {
        "as_declared": "按约定用途使用",
        "diverted_to_enterprise": "户贷企用",
        "non_productive_use": "用于非生产性支出",
        "business_failed": "经营失败",
        "unreachable": "无法联系",
    },
    "VillageOpinion": {"positive": "肯定", "neutral": "一般", "negative": "否定"},
    "Environment": {"development": "开发", "test": "测试", "production": "生产"},
    "ProgrammeBasis": {"share_of_rate": "按利率比例", "rate_points": "按百分点"},
    "LargeProductionCategory": {
        "scale_up": "扩大生产规模",
        "farm_facilities": "农业生产设施",
        "facility_agriculture": "设施农业",
    },
    "RiskClass": {
        "normal": "正常",
        "special_mention": "关注",
        "substandard": "次级",
        "doubtful": "可疑",
        "loss": "损失",
    },
    "RosterStatus": {
        "monitoring_target": "防止返贫监测对象",
        "continued_support": "脱贫人口（需继续帮扶）",
        "removed": "已退出",
        "not_listed": "未纳入名单",
    },
    "LoanStatus": {
        "contracted": "已签约",
        "disbursing": "放款中",
        "active": "在贷",
        "closed": "已结清",
        "renewed": "已续贷",
        "written_off": "已核销",
    },
    "DisbursementStatus": {
        "requested": "已提交",
        "succeeded": "放款成功",
        "failed": "放款失败",
        "cancelled": "已撤销",
    },
    "ApplicationStatus": {
        "submitted": "已受理",
        "approved": "已批准",
        "declined": "已拒绝",
        "withdrawn": "已撤回",
        "contracted": "已签约",
    },
    "Role": {
        "loan_officer": "客户经理",
        "credit_reviewer": "审批人",
        "risk_manager": "风险经理",
        "auditor": "审计人员",
        "core_banking": "核心系统",
        "admin": "管理员",
        "exemption_committee": "尽职免责委员会",
        "finance_department": "财政部门",
        "agriculture_department": "农业农村部门",
        "regulator": "金融监管部门",
        "sms_gateway": "短信平台",
    },
    "MessageKind": {
        "due_reminder": "还款提醒",
        "overdue_notice": "逾期通知",
        "subsidy_notice": "贴息告知",
        "policy_reminder": "政策及防诈骗提示",
    },
    "MessageStatus": {
        "queued": "待发送",
        "sent": "已发送",
        "delivered": "已送达",
        "undelivered": "未送达",
        "failed": "发送失败",
        "opted_out": "已退订",
        "no_phone": "无手机号",
    },
    "ReceiptStatus": {"delivered": "已送达", "undelivered": "未送达"},
    "LendingStatus": {"open": "正常放贷", "suspended": "暂停放贷"},
    "EvidenceSubject": {
        "investigation": "贷前调查",
        "monitoring_visit": "贷后走访",
        "collection_action": "催收记录",
        "write_off": "核销申请",
        "exemption_case": "尽职免责案件",
    },
    "DocumentKind": {
        "contract": "借款合同",
        "subsidy_notice": "贴息告知书",
        "schedule": "还款计划表",
        "settlement": "结清证明",
    },
    "Relation": {
        "head": "户主",
        "spouse": "配偶",
        "child": "子女",
        "parent": "父母",
        "sibling": "兄弟姐妹",
        "grandchild": "孙子女",
        "other": "其他",
    },
    "JobKind": {
        "roster_import": "名单导入",
        "legacy_import": "存量贷款导入",
        "eod": "日终批处理",
        "claim_export": "贴息申报导出",
    },
    "JobStatus": {"queued": "排队中", "running": "运行中", "succeeded": "已完成", "failed": "失败"},
    "ParticipantRole": {
        "borrower": "借款人",
        "family": "家庭成员",
        "village_committee": "村委会",
        "first_secretary": "驻村第一书记",
        "work_team": "驻村工作队",
        "officer": "客户经理",
        "other": "其他",
    },
    "WorkReason": {
        "broken_promise": "还款承诺未履行",
        "promise_due": "还款承诺到期",
        "action_due": "应跟进催收",
        "escalated": "逾期档次上升",
        "no_action_yet": "尚未催收",
    },
    "ActionKind": {"resend": "重新发送", "cancel": "撤销"},
    "CaseStatus": {
        "opened": "已立案",
        "evidence_reviewed": "已审查证据",
        "decided": "已认定",
        "appealed": "已申诉",
        "final": "已终结",
    },
    "Outcome": {"exempt": "免责", "partly_exempt": "部分免责", "not_exempt": "不予免责"},
    "EntryKind": {"situation": "免责情形", "aggravating": "从重情节"},
    "ChainAction": {"renewal": "续贷", "extension": "展期"},
    "RepaymentKind": {"posting": "入账", "reversal": "冲正"},
}

# The scorecard's reason codes (app/domain/rating.py), as a rating shows them.
RATING_REASONS_ZH = {
    "debt_service_ratio": "偿债比例",
    "production_income_share": "生产经营收入占比",
    "net_worth": "家庭净资产",
    "production_experience": "生产经营经验",
    "credit_bureau": "征信记录",
    "village_committee_opinion": "村委会评议意见",
    "major_bad_record": "重大不良信用记录（一票否决）",
    "credit_line": "授信额度",
}


def label(member: StrEnum) -> str:
    """The Chinese label of an enum code; the code itself where none is written."""
    return ZH.get(type(member).__name__, {}).get(member.value, member.value)


def code_of(enum_name: str, written: str, aliases: dict[str, str] | None = None) -> str:
    """An enum code as a person may write it in a sheet: the code itself, its Chinese label,
    or one of `aliases` (other names in use); anything else is returned as written, for the
    validation that follows to refuse."""
    by_label = {text: code for code, text in ZH.get(enum_name, {}).items()}
    return (aliases or {}).get(written) or by_label.get(written) or written


def labelled(enum_name: str, code: str) -> str:
    """`code` of the enum named `enum_name` in Chinese (for values read back from storage)."""
    return ZH.get(enum_name, {}).get(code, code)


# What the audit trail records, as the console's audit page names it (codes stay in the API).
AUDIT_ACTIONS_ZH = {
    "application.submit": "提交贷款申请",
    "application.investigate": "登记贷前调查",
    "application.re_evaluate": "重新审查资格",
    "application.approve": "批准申请",
    "application.decline": "拒绝申请",
    "application.contract": "签订借款合同",
    "loan.contract": "生成贷款",
    "loan.disbursement_request": "发起放款",
    "loan.disbursement_late_answer": "核心系统迟到的放款回告",
    "core.disbursement": "核心系统确认放款",
    "loan.repayment": "还款入账",
    "loan.repayment_reversal": "还款冲正",
    "loan.repayment_reversal_kept": "冲正保留",
    "loan.reversal_case_settled": "冲正案件处理完毕",
    "loan.monitoring_visit": "贷后走访",
    "loan.misuse_corrected": "挪用整改确认",
    "loan.risk_class_override": "调整风险分类",
    "document.issue": "出具文书",
    "evidence.attach": "上传证据材料",
    "department.read": "部门查阅",
    "collection.action": "登记催收",
    "collection.promise": "登记还款承诺",
    "write_off.proposed": "提议核销",
    "write_off.approved": "核销",
    "write_off.recovery": "核销后收回",
    "officer.reassigned": "客户经理移交",
    "officer.reassignment_requested": "申请客户经理移交",
    "officer.reassignment_decided": "审批客户经理移交",
    "legacy.loan": "存量贷款迁入",
    "legacy.import": "存量贷款导入",
    "region.lending_status": "调整放贷状态",
    "region.subsidy_settings": "调整贴息设置",
    "household.create": "登记农户",
    "household.member_facts": "核实成员情况",
    "household.rate": "信用评级",
}

# The fields an audit event's before and after hold, as the audit page names them.
AUDIT_FIELDS_ZH = {
    "status": "状态",
    "risk_class": "风险分类",
    "officer": "客户经理",
    "amount": "金额",
    "principal": "本金",
    "principal_outstanding": "本金余额",
    "value_date": "起息日",
    "core_transaction_id": "核心交易号",
    "contract_number": "合同编号",
    "reason": "事由",
    "note": "说明",
    "finding": "资金使用",
    "visited_on": "走访日期",
    "days_past_due": "逾期天数",
    "grade": "评级",
    "score": "得分",
    "credit_limit": "授信额度",
    "eligible": "符合条件",
    "household_id": "农户",
    "household_number": "户编号",
    "members": "成员",
    "lines": "行数",
    "accepted": "导入",
    "rejected": "拒绝",
    "unchanged": "未变",
    "updated": "更新",
    "removed": "移出",
    "months": "月数",
    "kind": "类型",
    "evidence": "材料",
    "lending_status": "放贷状态",
    "need_is_genuine": "需求真实",
    "project_is_lawful": "项目合法",
    "investigation_id": "调查记录",
    "template": "模板版本",
    "sha256": "文件摘要（SHA-256）",
    "bytes": "字节数",
    "font_sha256": "字体摘要",
    "file_name": "文件名",
    "media_type": "文件类型",
    "corrects": "更正",
    "path": "查阅内容",
    "query": "查询条件",
}
