"""What the bank hands a borrower on paper (issue 30): the four documents, the template version
a loan pins at signing (as it pins its policy version, 5.2), when each may be issued, and an
amount in Chinese capitals (大写) as a contract and a certificate write it.

The documents carry what the notice asks borrowers to understand: the terms and their subsidy
(1.4, 1.6), the use of the money (1.8), and the warning against fraud and illegal fundraising
(5.4 提升帮扶人口对金融诈骗、非法集资的防范意识). Their words live in the template of each
version (app/documents/templates.py); a template once used is never edited, only succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.domain.loan_status import LoanStatus
from app.domain.money import fen
from app.domain.wording import Said


class DocumentKind(StrEnum):
    contract = "contract"  # 借款合同
    subsidy_notice = "subsidy_notice"  # 贴息告知书
    schedule = "schedule"  # 还款计划表
    settlement = "settlement"  # 结清证明


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    """A set of document templates; a loan signed while it is current keeps it for life."""

    code: str
    effective_from: date


TEMPLATE_2026_1 = TemplateVersion(code="2026.1", effective_from=date(2026, 2, 24))
TEMPLATES: dict[str, TemplateVersion] = {t.code: t for t in (TEMPLATE_2026_1,)}
CURRENT_TEMPLATE = TEMPLATE_2026_1


def refusal(kind: DocumentKind, status: LoanStatus, disbursed: bool) -> Said | None:
    """Why a loan has no such document to print, or None when it has: before a loan is paid
    out it has no schedule of its own (the contract carries the one its terms give from the
    signing date); a settlement certificate is for a loan repaid in full."""
    if kind is DocumentKind.schedule and not disbursed:
        return Said(
            "贷款尚未放款，还款计划以放款日为准；借款合同载有按签订日测算的还款计划",
            "The loan is not paid out yet: its schedule runs from the value date",
        )
    if kind is DocumentKind.settlement and status is not LoanStatus.closed:
        return Said(
            "贷款结清后才能出具结清证明",
            "A settlement certificate is issued only for a loan repaid in full",
        )
    return None


def amount_in_capitals(amount: Decimal) -> str:
    """人民币 and the amount in capitals, as the bank's vouchers write it (中国人民银行
    《正确填写票据和结算凭证的基本规定》): 30,000.00 → 人民币叁万元整; 100,005.10 →
    人民币壹拾万零伍元壹角; to the fen, never negative."""
    from cn2an import an2cn  # imported on first use: it loads its tables at import

    value = fen(amount)
    if value < 0:
        raise ValueError("an amount in capitals is never negative")
    capitals: str = an2cn(format(value, "f"), "rmb")
    return "人民币" + capitals
