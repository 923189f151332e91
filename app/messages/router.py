"""Messages to borrowers over HTTP (issue 30): what was sent to whom and what became of it,
read within the caller's regions; a household's opt-out, set by its loan officer; a county's
reminder days; and the SMS gateway's delivery receipts, idempotent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.auth import Principal, Reader, Role, require
from app.core.deps import DbSession
from app.core.i18n import Said
from app.core.problems import Problem, not_found, problem_responses
from app.core.scoping import get_scoped
from app.domain.messages import MAX_REMINDER_DAYS, MessageKind, MessageStatus, ReceiptStatus
from app.households.models import Household
from app.messages import records
from app.messages.models import Message
from app.regions import service as regions

router = APIRouter(prefix="/v1", tags=["messages"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer, Role.risk_manager))]
RiskManager = Annotated[Principal, Depends(require(Role.risk_manager))]
Gateway = Annotated[Principal, Depends(require(Role.sms_gateway))]
RegionCode = Annotated[str, Path(pattern=r"^\d{6}$", description="GB/T 2260 county code")]


class MessageOut(BaseModel):
    id: uuid.UUID
    kind: MessageKind
    region_code: str
    household_id: uuid.UUID
    loan_id: uuid.UUID | None
    business_date: date
    template: str = Field(description="the version of the words (domain.messages)")
    text: str
    phone: str | None = Field(description="masked, e.g. 138****5678")
    status: MessageStatus
    delivered_at: datetime | None
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


def message_out(seen: records.Seen) -> MessageOut:
    m = seen.message
    return MessageOut(
        id=m.id,
        kind=MessageKind(m.kind),
        region_code=m.region_code,
        household_id=m.household_id,
        loan_id=m.loan_id,
        business_date=m.business_date,
        template=m.template,
        text=m.text,
        phone=m.phone_masked,
        status=seen.status,
        delivered_at=seen.delivered_at,
        created_at=m.created_at,
    )


@router.get("/messages", response_model=MessagePage, responses=problem_responses(422))
def list_messages(
    session: DbSession,
    principal: Reader,
    loan_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    kind: MessageKind | None = None,
    status: Annotated[list[MessageStatus] | None, Query()] = None,
    unreached: Annotated[
        bool, Query(description="only those that did not or will not reach the phone")
    ] = False,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> MessagePage:
    """Texts sent or meant for borrowers within the caller's regions, newest first: the words,
    the phone (masked), and what became of each (queued, sent, delivered, or why not)."""
    statuses = frozenset(status) if status else None
    if unreached:
        statuses = (statuses or MessageStatus.unreached()) & MessageStatus.unreached()
    page, after = records.listed(
        session,
        principal,
        loan_id=loan_id,
        household_id=household_id,
        kind=kind,
        statuses=statuses,
        region=region,
        limit=limit,
        cursor=cursor,
    )
    return MessagePage(items=[message_out(s) for s in page], next_cursor=after)


class PreferenceIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"opted_out": True, "reason": "户主要求不再接收短信"}]}
    )

    opted_out: StrictBool
    reason: str = Field(min_length=2, max_length=500, description="as the household said it")


class PreferenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    household_id: uuid.UUID
    opted_out: bool
    reason: str | None
    set_by: str | None
    set_at: datetime | None


@router.get(
    "/households/{household_id}/message-preference",
    response_model=PreferenceOut,
    responses=problem_responses(403, 404),
)
def get_preference(household_id: uuid.UUID, session: DbSession, principal: Reader) -> PreferenceOut:
    """Whether the household gets texts (by default it does)."""
    get_scoped(session, Household, household_id, principal, "Household")
    wish = records.preference(session, household_id)
    if wish is None:
        return PreferenceOut(
            household_id=household_id, opted_out=False, reason=None, set_by=None, set_at=None
        )
    return PreferenceOut.model_validate(wish)


@router.put(
    "/households/{household_id}/message-preference",
    response_model=PreferenceOut,
    responses=problem_responses(403, 404, 422),
)
def set_preference(
    household_id: uuid.UUID, body: PreferenceIn, session: DbSession, principal: Officer
) -> PreferenceOut:
    """Record the household's wish: no texts (退订), or texts again. Kept as a new entry with
    its reason (the earlier ones stay), audited. An opted-out household's messages are still
    recorded, as `opted_out`, for its loan officer to tell it another way."""
    wish = records.set_preference(session, principal, household_id, body.opted_out, body.reason)
    return PreferenceOut.model_validate(wish)


class MessageSettingsIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reminder_days": [7, 1]}]})

    reminder_days: list[Annotated[int, Field(ge=1, le=MAX_REMINDER_DAYS)]] = Field(
        min_length=1, max_length=5, description="days before a due date a reminder is sent"
    )


class MessageSettingsOut(BaseModel):
    region_code: str
    reminder_days: list[int]


@router.get(
    "/regions/{code}/message-settings",
    response_model=MessageSettingsOut,
    responses=problem_responses(403, 404),
)
def get_message_settings(
    code: RegionCode, session: DbSession, principal: Reader
) -> MessageSettingsOut:
    """The county's reminder days (by default 3 days before each due date)."""
    principal.ensure_region(code, "Region")
    days = regions.reminder_days(regions.get_or_default(session, code))
    return MessageSettingsOut(region_code=code, reminder_days=list(days))


@router.put(
    "/regions/{code}/message-settings",
    response_model=MessageSettingsOut,
    responses=problem_responses(403, 404, 422),
)
def set_message_settings(
    code: RegionCode, body: MessageSettingsIn, session: DbSession, principal: RiskManager
) -> MessageSettingsOut:
    """Set the days before each due date the county's borrowers are reminded (at most five
    days, each 1 to 30), from the next day's pass on; audited."""
    principal.ensure_region(code, "Region")
    days = regions.set_reminder_days(session, principal, code, body.reminder_days)
    return MessageSettingsOut(region_code=code, reminder_days=list(days))


class ReceiptIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "3f1e2d4c-5b6a-4978-8877-665544332211",
                    "status": "delivered",
                    "gateway_message_id": "SMS7A1B2C3D4E5F6071",
                    "reported_at": "2027-01-05T09:00:12+08:00",
                }
            ]
        }
    )

    message_id: uuid.UUID = Field(description="the `message_id` Bangfu sent the text with")
    status: ReceiptStatus
    gateway_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    error_code: str | None = Field(default=None, max_length=40, pattern=r"^[\x21-\x7e]+$")
    reported_at: datetime


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    message_id: uuid.UUID
    status: ReceiptStatus
    gateway_message_id: str
    error_code: str | None
    reported_at: datetime
    received_at: datetime


@router.post(
    "/messages/receipts",
    response_model=ReceiptOut,
    status_code=201,
    responses=problem_responses(403, 404, 422),
)
def post_receipt(body: ReceiptIn, session: DbSession, _: Gateway, response: Response) -> ReceiptOut:
    """The gateway's delivery receipt for a text: 201 when new; the same receipt again (the
    gateway retries) answers 200 with the one kept, and changes nothing."""
    if body.reported_at.tzinfo is None:
        raise Problem(
            422,
            Said("回执时间须带时区", "reported_at must carry a time zone"),
            slug="validation-error",
        )
    if session.get(Message, body.message_id) is None:
        raise not_found("Message")
    kept, new = records.record_receipt(
        session,
        records.Receipt(
            message_id=body.message_id,
            status=body.status,
            gateway_message_id=body.gateway_message_id,
            error_code=body.error_code,
            reported_at=body.reported_at,
        ),
    )
    if not new:
        response.status_code = 200
    return ReceiptOut.model_validate(kept)
