"""Messages to borrowers (issue 30): which messages a day brings, their words, when a text
message may be sent, and what became of one.

The notice asks that borrowers understand the policy and are warned against fraud and illegal
fundraising (5.4 确保…充分了解政策, 提升帮扶人口对金融诈骗、非法集资的防范意识); a reminder
before a due date and a notice once overdue keep a household from the penalty and the lost
subsidy of an overdue day (1.6 逾期期间不予贴息 where the county says so).

Choices where the notice is silent, kept here and in the README:
- A text names no one: it goes through a gateway outside the bank, so it says 尊敬的客户 and
  the contract number's last four digits, never a name, an ID number or an account.
- A household that opted out gets no text of any kind; the message is still recorded, as
  suppressed, so the loan officer sees who must be told in person.
- Nothing is sent in the quiet hours (by default 21:00 to 08:00 China Standard Time): a message
  due then waits for the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from app.domain.money import fen


class MessageKind(StrEnum):
    due_reminder = "due_reminder"  # 还款提醒: days before each due date (the county's days)
    overdue_notice = "overdue_notice"  # 逾期通知: the first day overdue, then every week
    subsidy_notice = "subsidy_notice"  # 贴息告知: once, when the contract is signed
    policy_reminder = "policy_reminder"  # 政策及防诈骗提示: once a year to each borrowing household


class MessageStatus(StrEnum):
    """What became of a message: fixed when it is made (queued, or not sent at all), then what
    the outbox and the gateway's receipts say of it (app/messages/records.status_sql); a
    delivered receipt wins over an undelivered one, as a gateway may report a retry late."""

    queued = "queued"  # waiting in the outbox (quiet hours, retries)
    sent = "sent"  # the gateway took it
    delivered = "delivered"  # the gateway's receipt: on the phone
    undelivered = "undelivered"  # the gateway's receipt: it could not be delivered
    failed = "failed"  # the gateway refused it for good
    opted_out = "opted_out"  # the household asked for no texts
    no_phone = "no_phone"  # no member of the household has a phone on record

    @classmethod
    def not_sent(cls) -> frozenset[MessageStatus]:
        """A message that will never be sent as it stands: the household must be reached by
        the loan officer another way."""
        return frozenset({cls.opted_out, cls.no_phone})

    @classmethod
    def unreached(cls) -> frozenset[MessageStatus]:
        """Every message that did not or will not reach the phone: the console's to-do."""
        return cls.not_sent() | {cls.failed, cls.undelivered}


class ReceiptStatus(StrEnum):
    delivered = "delivered"
    undelivered = "undelivered"


# --- when -------------------------------------------------------------------------------------

DEFAULT_REMINDER_DAYS = (3,)
MAX_REMINDER_DAYS = 30
OVERDUE_REPEAT_DAYS = 7


def reminder_due_dates(day: date, days_before: tuple[int, ...]) -> list[date]:
    """The due dates a reminder is sent for on `day`: each is `days_before` ahead."""
    return sorted({day + timedelta(days=n) for n in days_before})


def overdue_notice_due(days_past_due: int, every: int = OVERDUE_REPEAT_DAYS) -> bool:
    """A notice on the first day overdue, then every `every` days while it stays overdue."""
    return days_past_due == 1 or (days_past_due > 1 and (days_past_due - 1) % every == 0)


def policy_reminder_due(day: date, on: tuple[int, int]) -> bool:
    """The yearly policy message is due from its day of the year (month, day) on."""
    return (day.month, day.day) >= on


def period_of(kind: MessageKind, day: date) -> str:
    """The period a message is sent at most once in: a subsidy notice once per loan, the
    policy message once a year, the others once a day."""
    if kind is MessageKind.subsidy_notice:
        return "once"
    if kind is MessageKind.policy_reminder:
        return str(day.year)
    return day.isoformat()


def sendable_from(moment: datetime, quiet_start: time, quiet_end: time) -> datetime:
    """The first instant at or after `moment` (local time, tz-aware) outside the quiet hours
    [quiet_start, quiet_end), which may cross midnight. Equal start and end: never quiet."""
    if quiet_start == quiet_end:
        return moment
    clock = moment.timetz().replace(tzinfo=None)
    crosses_midnight = quiet_start > quiet_end
    quiet = (
        (clock >= quiet_start or clock < quiet_end)
        if crosses_midnight
        else (quiet_start <= clock < quiet_end)
    )
    if not quiet:
        return moment
    morning = moment.replace(hour=quiet_end.hour, minute=quiet_end.minute, second=0, microsecond=0)
    if crosses_midnight and clock >= quiet_start:
        morning += timedelta(days=1)
    return morning


# --- words ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A version of the messages' words; a message keeps the version it was written from."""

    code: str
    effective_from: date


MESSAGES_2026_1 = MessageTemplate(code="M2026.1", effective_from=date(2026, 2, 24))
CURRENT_MESSAGES = MESSAGES_2026_1

WARNING = (
    "谨防诈骗：银行和政府部门不会收取任何办贷费用，不会索要验证码或要求向个人账户转账，"
    "请勿参与非法集资。"
)


def _yuan(amount: Decimal) -> str:
    return f"{fen(amount):,.2f}元"


def _rate(rate: Decimal) -> str:
    shown = f"{rate * 100:.2f}"
    exact = format((rate * 100).normalize(), "f")
    return (exact if "." in exact and len(exact.split(".")[1]) > 2 else shown) + "%"


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _contract(number: str) -> str:
    """The contract named by its last four digits (a text names no one in full)."""
    return f"尾号{number[-4:]}"


def due_reminder(
    signature: str, contract: str, number: int, due: date, principal: Decimal, interest: Decimal
) -> str:
    return (
        f"{signature}尊敬的客户：您的帮扶小额信贷（合同{_contract(contract)}）第{number}期"
        f"将于{_day(due)}到期，应还{_yuan(principal + interest)}（本金{_yuan(principal)}，"
        f"利息{_yuan(interest)}），请按时存入还款账户。按时还款可继续享受财政贴息。{WARNING}"
    )


def overdue_notice(
    signature: str,
    contract: str,
    days: int,
    principal: Decimal,
    interest: Decimal,
    subsidised_while_overdue: bool,
) -> str:
    subsidy = "" if subsidised_while_overdue else "逾期期间不享受财政贴息，"
    return (
        f"{signature}尊敬的客户：您的帮扶小额信贷（合同{_contract(contract)}）已逾期{days}天，"
        f"逾期本金{_yuan(principal)}，逾期利息{_yuan(interest)}。{subsidy}"
        f"逾期将按合同计收罚息并影响您的信用记录，请尽快还款；如有困难请联系您的客户经理。{WARNING}"
    )


def subsidy_notice(
    signature: str,
    contract: str,
    principal: Decimal,
    term_months: int,
    annual_rate: Decimal,
    central_rate: Decimal,
    local_rate: Decimal,
) -> str:
    own = annual_rate - central_rate - local_rate
    return (
        f"{signature}尊敬的客户：您已签订帮扶小额信贷借款合同（合同{_contract(contract)}），"
        f"金额{_yuan(principal)}，期限{term_months}个月，年利率{_rate(annual_rate)}。"
        f"中央财政贴息{_rate(central_rate)}，地方财政贴息{_rate(local_rate)}，"
        f"您承担{_rate(own)}。贷款须户借、户用、户还，只用于发展生产和经营，"
        f"不得用于结婚、建房、理财、购置家庭用品，不得入股分红或转贷。{WARNING}"
    )


def policy_reminder(signature: str, year: int) -> str:
    return (
        f"{signature}{year}年帮扶小额信贷政策提示：贷款免担保免抵押，用于发展生产和经营，"
        f"按时还款享受财政贴息；额度、期限和利率以您的借款合同为准，详情请咨询当地银行网点。"
        f"{WARNING}"
    )
