"""A household's wish about texts, the gateway's receipts, and what became of each text
(issue 30): the records beside the day's texts that app/messages/service.py writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, exists, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.core.pagination import keyset_page, next_cursor
from app.core.scoping import get_scoped, readable, within
from app.domain.messages import MessageKind, MessageStatus, ReceiptStatus
from app.households.models import Household
from app.integrations import outbox
from app.integrations.models import OutboxMessage
from app.messages.models import OUTBOX_PREFIX, Message, MessagePreference, MessageReceipt


def latest_wish(household_id: Any) -> Select[MessagePreference]:
    """The household's wish in force: its latest entry."""
    return (
        select(MessagePreference)
        .where(MessagePreference.household_id == household_id)
        .order_by(MessagePreference.id.desc())
        .limit(1)
    )


def preference(session: Session, household_id: uuid.UUID) -> MessagePreference | None:
    return session.scalars(latest_wish(household_id)).one_or_none()


def set_preference(
    session: Session, principal: Principal, household_id: uuid.UUID, opted_out: bool, reason: str
) -> MessagePreference:
    """The household's wish, as a new row (the earlier ones kept), audited."""
    household = get_scoped(session, Household, household_id, principal, "Household")
    before = preference(session, household_id)
    wish = MessagePreference(
        household_id=household_id, opted_out=opted_out, reason=reason, set_by=principal.subject
    )
    session.add(wish)
    withdrawn = _withdraw_pending(session, household_id) if opted_out else 0
    audit.record(
        session,
        principal,
        "messages.preference",
        "household",
        household_id,
        region_code=household.region_code,
        before={"opted_out": before.opted_out} if before else None,
        after={"opted_out": opted_out, "reason": reason, "withdrawn": withdrawn},
    )
    session.flush()
    return wish


# An outbox message given up because its household opted out before it was sent.
WITHDRAWN = "withdrawn"


def _withdraw_pending(session: Session, household_id: uuid.UUID) -> int:
    """An opt-out holds at once: the household's texts not yet sent (waiting for the morning,
    or for a retry) are given up, their phones dropped."""
    keys = select(literal(OUTBOX_PREFIX) + cast(Message.id, String)).where(
        Message.household_id == household_id
    )
    return outbox.stop(session, keys, WITHDRAWN)


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: uuid.UUID
    status: ReceiptStatus
    gateway_message_id: str
    error_code: str | None
    reported_at: datetime


def record_receipt(session: Session, receipt: Receipt) -> tuple[MessageReceipt, bool]:
    """The receipt kept, and whether it is new: the same receipt again (a gateway retries its
    callbacks) answers the one kept. The message must exist (the caller answers 404)."""
    new = session.scalars(
        insert(MessageReceipt)
        .values(
            message_id=receipt.message_id,
            status=receipt.status.value,
            gateway_message_id=receipt.gateway_message_id,
            error_code=receipt.error_code,
            reported_at=receipt.reported_at,
        )
        .on_conflict_do_nothing(index_elements=["message_id", "status"])
        .returning(MessageReceipt)
    ).one_or_none()
    if new is not None:
        return new, True
    kept = session.scalars(
        select(MessageReceipt).where(
            MessageReceipt.message_id == receipt.message_id,
            MessageReceipt.status == receipt.status.value,
        )
    ).one()
    return kept, False


def status_sql() -> ColumnElement[str]:
    """What became of a message (domain.messages.MessageStatus), from its row, its outbox
    message and its receipts, in SQL so that a list filters on it: one given up at an opt-out
    is opted out; a delivered receipt wins over an undelivered one (a gateway may report a
    retry's success late)."""
    receipt = {
        status: exists().where(
            MessageReceipt.message_id == Message.id, MessageReceipt.status == status.value
        )
        for status in ReceiptStatus
    }
    outbox_status = (
        select(OutboxMessage.status)
        .where(OutboxMessage.idempotency_key == literal(OUTBOX_PREFIX) + cast(Message.id, String))
        .scalar_subquery()
    )
    return case(
        (Message.status.in_([s.value for s in MessageStatus.not_sent()]), Message.status),
        (outbox_status == WITHDRAWN, literal(MessageStatus.opted_out.value)),
        (receipt[ReceiptStatus.delivered], literal(MessageStatus.delivered.value)),
        (receipt[ReceiptStatus.undelivered], literal(MessageStatus.undelivered.value)),
        (outbox_status == "failed", literal(MessageStatus.failed.value)),
        (outbox_status.in_(["delivered", "settled"]), literal(MessageStatus.sent.value)),
        else_=literal(MessageStatus.queued.value),
    )


@dataclass(frozen=True, slots=True)
class Seen:
    """A message with what became of it."""

    message: Message
    status: MessageStatus
    delivered_at: datetime | None


def listed(
    session: Session,
    principal: Principal,
    *,
    loan_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    kind: MessageKind | None = None,
    statuses: frozenset[MessageStatus] | None = None,
    region: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Seen], str | None]:
    """A page of messages within the caller's regions, newest first, each with its status;
    the cursor of the next page."""
    status = status_sql()
    delivered_at = (
        select(MessageReceipt.reported_at)
        .where(
            MessageReceipt.message_id == Message.id,
            MessageReceipt.status == ReceiptStatus.delivered.value,
        )
        .scalar_subquery()
    )
    query = readable(
        select(Message).add_columns(status, delivered_at), principal, Message.region_code
    )

    if loan_id is not None:
        query = query.where(Message.loan_id == loan_id)
    if household_id is not None:
        query = query.where(Message.household_id == household_id)
    if kind is not None:
        query = query.where(Message.kind == kind.value)
    if region is not None:
        query = query.where(within(Message.region_code, region))
    if statuses is not None:
        query = query.where(status.in_([s.value for s in statuses]))
    found = session.execute(keyset_page(query, SORT, SORTS, Message.id, cursor, limit))
    page = [Seen(message, MessageStatus(made), at) for message, made, at in found]
    return page, next_cursor([s.message for s in page], SORT, SORTS, limit)


SORT = "-created_at"
SORTS = {"created_at": Message.created_at}
