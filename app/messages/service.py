"""Messages to borrowers (issue 30): the scheduled work that writes each county's texts of the
day (the households' wishes, the receipts and the reading are app/messages/records.py).

A text is written once: its key (kind, loan or household, period) is unique, so a second pass,
a second scheduler racing the first, or a retry after a crash finds it written and adds
nothing. Its outbox message (kind `sms`, app/integrations/senders.py) is written in the same
transaction with the phone sealed, and the outbox worker delivers it at least once with its
own idempotency key, never in the quiet hours. The phone is opened only by the worker, to
build the gateway's request; the message keeps it masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from typing import cast as cast_to

import structlog
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    exists,
    false,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.batch.models import RegionBusinessDate
from app.batch.scheduler import scheduled
from app.core import clock
from app.core.scoping import prefixes_filter
from app.core.settings import Settings, get_settings
from app.domain import messages as words
from app.domain.loan_status import LoanStatus
from app.domain.messages import MessageKind, MessageStatus
from app.households.models import Member
from app.integrations.models import OutboxMessage
from app.integrations.outbox import SEALED, seal
from app.integrations.senders import SMS
from app.loans.models import Instalment, Loan
from app.messages.models import Message, MessagePreference, MessageRun, outbox_key
from app.messages.records import latest_wish
from app.regions import service as regions
from app.regions.models import Region

log = structlog.get_logger("bangfu.messages")

# How far back a signing is still told by text: a scheduler stopped over a weekend catches up.
SIGNED_WITHIN_DAYS = 3


# --- the day's texts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A text to write: whom it is for, its words, the phone to send it to (sealed)."""

    kind: MessageKind
    subject: uuid.UUID  # the loan, or the household for the yearly message
    household_id: uuid.UUID
    loan_id: uuid.UUID | None
    text: str
    phone_encrypted: bytes | None
    phone_masked: str | None
    opted_out: bool


def _phone(loan: Any) -> Any:
    """The borrower's phone, else the head's, else any member's (a lateral row)."""
    return (
        select(Member.phone_encrypted, Member.phone_masked)
        .where(Member.household_id == loan.household_id, Member.phone_encrypted.is_not(None))
        .order_by(
            (Member.id == loan.borrower_member_id).desc(),
            (Member.relation == "head").desc(),
            Member.created_at,
        )
        .limit(1)
        .lateral()
    )


def _opted_out(household_id: Any) -> ColumnElement[bool]:
    wish = latest_wish(household_id).with_only_columns(MessagePreference.opted_out)
    return func.coalesce(wish.scalar_subquery(), false())


def _candidates(query: Any, region_code: str) -> Any:
    """`query` over a county's loans with each loan's phone and its household's wish."""
    phone = _phone(Loan)
    return (
        query.select_from(Loan)
        .add_columns(
            Loan.id.label("loan_id"),
            Loan.household_id,
            Loan.contract_number,
            phone.c.phone_encrypted,
            phone.c.phone_masked,
            _opted_out(Loan.household_id).label("opted_out"),
        )
        .outerjoin(phone, true())
        .where(Loan.region_code == region_code)
        # one order for every pass, so two racing passes take their keys in the same order
        .order_by(Loan.id)
    )


def _drafts_of(
    kind: MessageKind, rows: Iterable[Any], text: Callable[[Any], str], by_household: bool
) -> list[Draft]:
    return [
        Draft(
            kind=kind,
            subject=row.household_id if by_household else row.loan_id,
            household_id=row.household_id,
            loan_id=row.loan_id,
            text=text(row),
            phone_encrypted=row.phone_encrypted,
            phone_masked=row.phone_masked,
            opted_out=bool(row.opted_out),
        )
        for row in rows
    ]


def subsidy_notices(session: Session, region: Region, day: date, sign: str) -> list[Draft]:
    """A notice for each loan signed lately that has none (a legacy contract brought over was
    signed long ago, and had its notice on paper)."""
    rows = session.execute(
        _candidates(
            select(
                Loan.principal,
                Loan.term_months,
                Loan.annual_rate,
                Loan.central_subsidy_rate,
                Loan.local_subsidy_rate,
            ),
            region.code,
        ).where(
            Loan.signed_on.between(day - timedelta(days=SIGNED_WITHIN_DAYS), day),
            Loan.status.in_(LoanStatus.outstanding()),
            Loan.external_ref.is_(None),
            ~exists().where(
                Message.kind == MessageKind.subsidy_notice.value, Message.loan_id == Loan.id
            ),
        )
    )
    return _drafts_of(
        MessageKind.subsidy_notice,
        rows,
        lambda r: words.subsidy_notice(
            sign,
            r.contract_number,
            r.principal,
            r.term_months,
            r.annual_rate,
            r.central_subsidy_rate,
            r.local_subsidy_rate,
        ),
        by_household=False,
    )


def due_reminders(session: Session, region: Region, day: date, sign: str) -> list[Draft]:
    """A reminder for each instalment falling due the county's days ahead, still owed."""
    dates = words.reminder_due_dates(day, regions.reminder_days(region))
    owed_principal = Instalment.principal_due - Instalment.principal_paid
    owed_interest = Instalment.interest_due - Instalment.interest_paid
    rows = session.execute(
        _candidates(
            select(
                Instalment.number,
                Instalment.due_date,
                owed_principal.label("principal"),
                owed_interest.label("interest"),
            ),
            region.code,
        )
        .join(
            Instalment,
            and_(Instalment.loan_id == Loan.id, Instalment.number == Loan.current_instalment),
        )
        .where(
            Loan.status == LoanStatus.active,
            Loan.current_due_date.in_(dates),
            owed_principal + owed_interest > 0,
        )
    )
    return _drafts_of(
        MessageKind.due_reminder,
        rows,
        lambda r: words.due_reminder(
            sign, r.contract_number, r.number, r.due_date, r.principal, r.interest
        ),
        by_household=False,
    )


def overdue_notices(session: Session, region: Region, day: date, sign: str) -> list[Draft]:
    """A notice for each loan overdue on the days the domain names (the first, then weekly)."""
    rows = session.execute(
        _candidates(
            select(Loan.days_past_due, Loan.overdue_principal, Loan.overdue_interest), region.code
        ).where(Loan.status == LoanStatus.active, Loan.oldest_overdue_due.is_not(None))
    )
    return _drafts_of(
        MessageKind.overdue_notice,
        (r for r in rows if words.overdue_notice_due(r.days_past_due)),
        lambda r: words.overdue_notice(
            sign,
            r.contract_number,
            r.days_past_due,
            r.overdue_principal,
            r.overdue_interest,
            bool(region.subsidise_overdue_days),
        ),
        by_household=False,
    )


def policy_reminders(session: Session, region: Region, day: date, sign: str) -> list[Draft]:
    """The yearly policy and anti-fraud message to each household with a loan outstanding."""
    rows = session.execute(
        _candidates(select(), region.code).where(
            Loan.status.in_(LoanStatus.outstanding()),
            Loan.status != LoanStatus.written_off,
        )
    )
    return _drafts_of(
        MessageKind.policy_reminder,
        rows,
        lambda r: words.policy_reminder(sign, day.year),
        by_household=True,
    )


DAILY: dict[MessageKind, Callable[[Session, Region, date, str], list[Draft]]] = {
    MessageKind.due_reminder: due_reminders,
    MessageKind.overdue_notice: overdue_notices,
    MessageKind.policy_reminder: policy_reminders,
}


def write(session: Session, region: Region, day: date, drafts: Sequence[Draft]) -> int:
    """Each draft not written before, as a message and (when it can be sent) its outbox
    message; the messages written. A draft whose key is taken, by an earlier pass or by a
    scheduler racing this one, adds nothing."""
    if not drafts:
        return 0
    settings = get_settings()
    now = clock.now(UTC)
    count = 0
    for start in range(0, len(drafts), CHUNK):
        chunk = drafts[start : start + CHUNK]
        rows = [(draft, _message_row(region.code, day, draft)) for draft in chunk]
        # executemany (SQLAlchemy's "insertmanyvalues"): the statement compiled once; a
        # multi-row VALUES was compiled anew per chunk, half the pass's time (bench.messages)
        written = set(session.scalars(_NEW_MESSAGES, [row for _, row in rows]))
        outbox = [
            _outbox_row(row, draft.phone_encrypted, now, settings)
            for draft, row in rows
            if row["id"] in written and row["status"] == MessageStatus.queued
        ]
        if outbox:
            session.execute(insert(_OUTBOX), outbox)
        count += len(written)
    return count


# Core statements over the tables (no ORM bulk step: these rows are plain values).
_MESSAGES = cast_to(Table, Message.__table__)
_OUTBOX = cast_to(Table, OutboxMessage.__table__)
_NEW_MESSAGES = (
    insert(_MESSAGES).on_conflict_do_nothing(index_elements=["key"]).returning(_MESSAGES.c.id)
)

# Rows a statement inserts at a time (PostgreSQL binds at most 65,535 parameters).
CHUNK = 1000


def _message_row(region_code: str, day: date, draft: Draft) -> dict[str, Any]:
    status = (
        MessageStatus.opted_out
        if draft.opted_out
        else MessageStatus.no_phone
        if draft.phone_encrypted is None
        else MessageStatus.queued
    )
    period = words.period_of(draft.kind, day)
    return {
        "id": uuid.uuid4(),
        "key": f"{draft.kind.value}:{draft.subject}:{period}",
        "kind": draft.kind.value,
        "region_code": region_code,
        "household_id": draft.household_id,
        "loan_id": draft.loan_id,
        "business_date": day,
        "template": words.CURRENT_MESSAGES.code,
        "text": draft.text,
        "phone_masked": draft.phone_masked,
        "status": status.value,
    }


def _outbox_row(
    row: dict[str, Any], phone: bytes | None, now: datetime, settings: Settings
) -> dict[str, Any]:
    assert phone is not None
    message_id = row["id"]
    return {
        "id": uuid.uuid4(),
        "kind": SMS.kind,
        "idempotency_key": outbox_key(message_id),
        "payload": {
            "message_id": str(message_id),
            "text": row["text"],
            "receipt_url": settings.public_base_url + "/v1/messages/receipts",
            SEALED: {"phone": seal(phone)},
        },
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": SMS.sendable_from(now, settings),
    }


@scheduled("messages", at=lambda settings: settings.sms_local_time)
def produce_due(
    session_factory: Callable[[], Session], through: date, prefixes: list[str] | None
) -> int:
    """Scheduled: the texts of each county whose open business date is `through` (a county
    behind is not told stale news; it is told once it has caught up that day; a county whose
    calendar has not started, with no loan paid out yet, has nothing to remind). The subsidy
    notices of new signings on every tick; each daily kind once per county and day (a pass
    done is recorded and skipped unread after). The messages written."""
    settings = get_settings()
    if not settings.sms_gateway_url:
        return 0  # no gateway: texts are off (nothing is written to be sent later)
    with session_factory() as session:
        counties = select(RegionBusinessDate.region_code).where(
            RegionBusinessDate.open_date == through
        )
        if prefixes is not None:
            counties = counties.where(prefixes_filter(prefixes, RegionBusinessDate.region_code))
        codes = list(session.scalars(counties.order_by(RegionBusinessDate.region_code)))
    written = 0
    for code in codes:
        with session_factory() as session, session.begin():
            written += county_day(session, code, through, settings)
    return written


def county_day(session: Session, code: str, day: date, settings: Settings) -> int:
    region = regions.get_or_default(session, code)
    sign = settings.sms_signature
    written = write(session, region, day, subsidy_notices(session, region, day, sign))
    policy_on = _month_day(settings.sms_policy_day)
    for kind, drafts in DAILY.items():
        if kind is MessageKind.policy_reminder and not words.policy_reminder_due(day, policy_on):
            continue
        period = words.period_of(kind, day)
        done = session.get(MessageRun, (code, kind.value, period))
        if done is not None:
            continue
        count = write(session, region, day, drafts(session, region, day, sign))
        session.execute(
            insert(MessageRun)
            .values(region_code=code, kind=kind.value, period=period, messages=count)
            .on_conflict_do_nothing()
        )
        written += count
    if written:
        log.info("messages_written", region=code, day=str(day), messages=written)
    return written


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)
