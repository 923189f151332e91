"""The documents' templates, by version (domain.documents.TEMPLATES). A loan prints from the
version it pinned at signing; a version once used is never edited: new words are a new
version, added here beside the old and made current in app/domain/documents.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from app.core.zh_input import money_text, rate_text
from app.documents.facts import Papers
from app.documents.pdf import Block, Document, Grid, Signatures, Text, Title
from app.domain import schedule
from app.domain.accrual import misuse_rate, penalty_rate
from app.domain.documents import DocumentKind, amount_in_capitals
from app.domain.labels import labelled
from app.domain.money import ZERO
from app.domain.policy import RepaymentMethod
from app.loans.models import Instalment

NOTICE = "《关于做好帮扶小额信贷工作的通知》"

# 1.8, in the notice's words.
USE_OF_FUNDS = (
    "借款须坚持户借、户用、户还，精准用于本户发展生产和开展经营，不得用于结婚、建房、理财、"
    "购置家庭用品等非生产性支出，也不得以入股分红、转贷、指标交换等方式交由企业或其他组织使用"
    f"（{NOTICE}一（八））。"
)
# 5.4: 提升帮扶人口对金融诈骗、非法集资的防范意识.
FRAUD_WARNING = (
    "防范金融诈骗和非法集资提示：办理贷款、享受贴息、续贷或展期均不收取任何手续费、保证金或"
    "“贴息服务费”，也无须通过任何中介。凡以代办贷款、代申请贴息为名索要费用，或以高额回报为诱饵"
    "要求您将贷款转借他人、入股分红、投资理财的，都可能是金融诈骗或非法集资，请立即拒绝，并向"
    "贷款银行或当地公安机关报告。"
)


def build(papers: Papers, kind: DocumentKind) -> Document:
    """The document of `kind` in the template version the loan pinned."""
    return _VERSIONS[papers.loan.document_template][kind](papers)


def _day(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day is not None else "—"


def _yuan(amount: Decimal) -> str:
    return f"{money_text(amount)} 元"


def _footer(papers: Papers, title: str) -> str:
    loan = papers.loan
    return f"{papers.bank}  {title}  合同编号 {loan.contract_number}  模板 {loan.document_template}"


def _document(papers: Papers, title: str, blocks: list[Block]) -> Document:
    return Document(title, (Title(title), *blocks), _footer(papers, title))


def _borrower_rate(papers: Papers) -> Decimal:
    loan = papers.loan
    return loan.annual_rate - loan.central_subsidy_rate - loan.local_subsidy_rate


# --- version 2026.1 ------------------------------------------------------------------------


def _contract(papers: Papers) -> Document:
    loan = papers.loan
    method = labelled("RepaymentMethod", loan.repayment_method)
    planned = schedule.build(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        RepaymentMethod(loan.repayment_method),
        loan.signed_on,
    )
    penalty = penalty_rate(loan.annual_rate, loan.penalty_markup)
    misuse = misuse_rate(loan.annual_rate, loan.misuse_markup)
    return _document(
        papers,
        "帮扶小额信贷借款合同",
        [
            Text(f"合同编号：{loan.contract_number}"),
            Grid(
                ("当事人", ""),
                (
                    ("贷款人", papers.bank),
                    ("借款人", f"{papers.borrower}（身份证号 {papers.borrower_id_masked}）"),
                    ("住址", papers.address),
                    ("所在县（区）", papers.county),
                ),
                (0.22, 0.78),
            ),
            Text(
                f"第一条 借款金额：{amount_in_capitals(loan.principal)}"
                f"（小写：¥{money_text(loan.principal)}）。"
            ),
            Text(
                f"第二条 借款期限：{loan.term_months}个月，自实际放款之日起计算。"
                f"本合同签订日期：{_day(loan.signed_on)}。"
            ),
            Text(
                f"第三条 借款利率：年利率{rate_text(loan.annual_rate)}，为固定利率，"
                f"在合同期内保持不变（{NOTICE}一（四））。"
            ),
            Text(
                f"第四条 还款方式：{method}。按签订日测算的还款计划如下，"
                "实际到期日以放款日起算，以放款后出具的《还款计划表》为准："
            ),
            Grid(
                ("期数", "到期日", "应还本金", "应还利息", "合计"),
                _planned_rows(planned),
                (0.1, 0.22, 0.22, 0.22, 0.24),
            ),
            Text(f"第五条 借款用途：{labelled('Purpose', loan.purpose)}。{USE_OF_FUNDS}"),
            Text(
                f"第六条 财政贴息：中央财政贴息年利率{rate_text(loan.central_subsidy_rate)}，"
                f"地方财政贴息年利率{rate_text(loan.local_subsidy_rate)}，"
                f"借款人承担年利率{rate_text(_borrower_rate(papers))}；"
                f"享受贴息的借款本金以{_yuan(loan.subsidised_principal)}为限，"
                f"超出部分按合同利率计息。详见《贴息告知书》（{NOTICE}一（六））。"
            ),
            Text(f"第七条 担保方式：免担保（{NOTICE}一（五））。"),
            Text(
                "第八条 逾期与挪用：借款人未按期归还的，对逾期本金按合同利率上浮"
                f"{rate_text(loan.penalty_markup, 0)}计收罚息（年利率{rate_text(penalty)}）；"
                f"挪用借款的，对挪用部分按合同利率上浮{rate_text(loan.misuse_markup, 0)}"
                f"计收罚息（年利率{rate_text(misuse)}），并自认定之日起停止贴息。"
                "罚息标准于签订时确定，合同期内不变。"
            ),
            Text(f"第九条 {FRAUD_WARNING}"),
            Text(
                f"第十条 本合同适用政策版本 {loan.policy_version}，文书模板版本 "
                f"{loan.document_template}；一式两份，贷款人、借款人各执一份，"
                "自双方签字（盖章）之日起生效。"
            ),
            Signatures(
                (
                    f"贷款人 {papers.bank}（盖章）经办人",
                    *(f"{name}（{relation}）" for name, relation in papers.signers),
                )
            ),
        ],
    )


def _subsidy_notice(papers: Papers) -> Document:
    loan = papers.loan
    unsubsidised = loan.principal - loan.subsidised_principal
    overdue = (
        "本县（区）规定：贷款逾期期间继续贴息。"
        if papers.subsidise_overdue_days
        else "贷款逾期期间不予贴息，逾期款项还清后恢复贴息。"
    )
    return _document(
        papers,
        "帮扶小额信贷贴息告知书",
        [
            Text(f"{papers.borrower}："),
            Text(
                f"您于{_day(loan.signed_on)}签订的帮扶小额信贷借款合同（编号 "
                f"{loan.contract_number}），借款金额{amount_in_capitals(loan.principal)}"
                f"（¥{money_text(loan.principal)}），合同年利率{rate_text(loan.annual_rate)}，"
                f"在合同期内保持不变。根据{NOTICE}一（六），该笔贷款享受以下财政贴息："
            ),
            Grid(
                ("项目", "年利率", "说明"),
                (
                    ("合同利率", rate_text(loan.annual_rate), "合同期内固定不变"),
                    (
                        "中央财政贴息",
                        rate_text(loan.central_subsidy_rate),
                        "按贷款利率的70%，最高不超过2.5个百分点",
                    ),
                    (
                        "地方财政贴息",
                        rate_text(loan.local_subsidy_rate),
                        papers.programme or "签订时本县（区）无地方贴息方案",
                    ),
                    (
                        "您承担的利率",
                        rate_text(_borrower_rate(papers)),
                        "享受贴息部分的本金适用",
                    ),
                ),
                (0.24, 0.18, 0.58),
            ),
            Text(
                f"享受中央贴息的本金以{_yuan(loan.subsidised_principal)}为限"
                f"（地方贴息以{_yuan(loan.local_subsidised_principal)}为限）；"
                + (
                    f"超出部分{_yuan(unsubsidised)}按合同利率由您承担利息。"
                    if unsubsidised > ZERO
                    else "您的借款本金全部在贴息范围内。"
                )
            ),
            Text("贴息停止的情形："),
            Text(f"一、{overdue}罚息不予贴息。"),
            Text("二、经认定挪用借款的，自认定之日起停止贴息，且不再恢复。"),
            Text("三、贷款结清、续贷或核销后，原贷款不再贴息。"),
            Text(FRAUD_WARNING),
            Signatures((f"借款人 {papers.borrower}（已阅读并知悉）",)),
            Text(f"{papers.bank}    {_day(loan.signed_on)}", small=True),
        ],
    )


def _schedule(papers: Papers) -> Document:
    loan = papers.loan
    return _document(
        papers,
        "还款计划表",
        [
            Text(
                f"合同编号：{loan.contract_number}    借款人：{papers.borrower}    "
                f"借款金额：{_yuan(loan.principal)}"
            ),
            Text(
                f"年利率：{rate_text(loan.annual_rate)}    还款方式："
                f"{labelled('RepaymentMethod', loan.repayment_method)}    放款日："
                f"{_day(loan.value_date)}    到期日：{_day(loan.maturity_date)}"
            ),
            Grid(
                ("期数", "起息日", "到期日", "应还本金", "应还利息", "已还本金", "已还利息"),
                _instalment_rows(papers.instalments),
                (0.08, 0.15, 0.15, 0.155, 0.155, 0.155, 0.155),
            ),
            Text(
                f"截至{_day(papers.issued_on)}（本县（区）营业日）。逾期罚息按合同第八条另计。",
                small=True,
            ),
        ],
    )


def _planned_rows(planned: schedule.Schedule) -> tuple[tuple[str, ...], ...]:
    rows = [
        (
            str(i.number),
            i.due_date.isoformat(),
            money_text(i.principal),
            money_text(i.interest),
            money_text(i.payment),
        )
        for i in planned.instalments
    ]
    total = planned.total_principal + planned.total_interest
    return (
        *rows,
        (
            "合计",
            "",
            money_text(planned.total_principal),
            money_text(planned.total_interest),
            money_text(total),
        ),
    )


def _instalment_rows(instalments: tuple[Instalment, ...]) -> tuple[tuple[str, ...], ...]:
    interest = [r.interest_due + r.prepaid_interest for r in instalments]
    rows = [
        (
            str(r.number),
            r.period_start.isoformat(),
            r.due_date.isoformat(),
            money_text(r.principal_due),
            money_text(due),
            money_text(r.principal_paid),
            money_text(r.interest_paid),
        )
        for r, due in zip(instalments, interest, strict=True)
    ]
    return (
        *rows,
        (
            "合计",
            "",
            "",
            money_text(sum((r.principal_due for r in instalments), ZERO)),
            money_text(sum(interest, ZERO)),
            money_text(sum((r.principal_paid for r in instalments), ZERO)),
            money_text(sum((r.interest_paid for r in instalments), ZERO)),
        ),
    )


def _settlement(papers: Papers) -> Document:
    loan = papers.loan
    return _document(
        papers,
        "贷款结清证明",
        [
            Text(
                f"兹证明借款人{papers.borrower}（身份证号 {papers.borrower_id_masked}）"
                f"于{_day(loan.signed_on)}与{papers.bank}签订的帮扶小额信贷借款合同"
                f"（编号 {loan.contract_number}），借款金额{amount_in_capitals(loan.principal)}"
                f"（¥{money_text(loan.principal)}），放款日{_day(loan.value_date)}，"
                f"已于{_day(loan.closed_on)}全部结清本息，双方在该合同项下的借贷关系终止。"
            ),
            Text("特此证明。"),
            Signatures((f"{papers.bank}（盖章）经办人",)),
            Text(f"出具日期：{_day(papers.issued_on)}", small=True),
        ],
    )


_VERSIONS: dict[str, dict[DocumentKind, Callable[[Papers], Document]]] = {
    "2026.1": {
        DocumentKind.contract: _contract,
        DocumentKind.subsidy_notice: _subsidy_notice,
        DocumentKind.schedule: _schedule,
        DocumentKind.settlement: _settlement,
    },
}
