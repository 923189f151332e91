"""Disbursements: a loan officer asks for the payment out, core banking answers; an unanswered
one is re-sent or cancelled by maker-checker."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.disbursements import schemas, service
from app.loans import service as loans
from app.loans.schemas import DisbursementOut, DisbursementStateOut

router = APIRouter(prefix="/v1", tags=["disbursements"])

Officer = Annotated[Principal, Depends(require(Role.loan_officer))]
CoreBanking = Annotated[Principal, Depends(require(Role.core_banking))]
# The second person of a re-send or cancellation: another officer, or a reviewer.
Checker = Annotated[Principal, Depends(require(Role.loan_officer, Role.credit_reviewer))]
Reader = LoanReader


@router.post(
    "/loans/{loan_id}/disbursements",
    response_model=DisbursementOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def request_disbursement(
    loan_id: uuid.UUID,
    session: DbSession,
    principal: Officer,
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> DisbursementOut:
    """Ask core banking to pay the loan out (Idempotency-Key required). The instruction goes
    through the outbox in the same transaction; core banking confirms it."""
    disbursement = service.request(session, principal, loan_id)
    response.headers["Location"] = f"/v1/disbursements/{disbursement.id}"
    return DisbursementOut.model_validate(disbursement)


@router.post(
    "/disbursements/{disbursement_id}/confirmation",
    response_model=DisbursementOut,
    responses=problem_responses(403, 404, 409),
)
def confirm_disbursement(
    disbursement_id: uuid.UUID,
    body: schemas.ConfirmationIn,
    session: DbSession,
    principal: CoreBanking,
) -> DisbursementOut:
    """Core banking's result: success makes the loan active and fixes its schedule from the
    value date; failure returns it to `contracted`. Repeating a confirmation is harmless. An
    answer for a cancelled disbursement is 409 and is kept on the disbursement for
    reconciliation (`reconciliation: confirmed_after_cancel`)."""
    disbursement = service.confirm(session, principal, disbursement_id, body)
    return DisbursementOut.model_validate(disbursement)


@router.get(
    "/disbursements/{disbursement_id}",
    response_model=DisbursementStateOut,
    responses=problem_responses(403, 404),
)
def get_disbursement(
    disbursement_id: uuid.UUID, session: DbSession, principal: Reader
) -> DisbursementStateOut:
    """A disbursement with its instruction's delivery (attempts, last error) and core
    banking's reference, for reconciliation."""
    return loans.disbursement_state(session, principal, disbursement_id)


@router.post(
    "/disbursements/{disbursement_id}/actions",
    response_model=schemas.ActionOut,
    status_code=201,
    responses=problem_responses(403, 404, 409),
)
def ask_for_action(
    disbursement_id: uuid.UUID, body: schemas.ActionIn, session: DbSession, principal: Officer
) -> schemas.ActionOut:
    """Ask to re-send an unanswered disbursement's instruction (the same instruction under
    the same key: core banking pays it at most once) or to cancel it (the loan returns to
    contracted). A second person decides."""
    return schemas.ActionOut.model_validate(service.ask(session, principal, disbursement_id, body))


@router.post(
    "/disbursements/{disbursement_id}/actions/{action_id}/decision",
    response_model=schemas.ActionOut,
    responses=problem_responses(403, 404, 409),
)
def decide_action(
    disbursement_id: uuid.UUID,
    action_id: uuid.UUID,
    body: schemas.ActionDecisionIn,
    session: DbSession,
    principal: Checker,
) -> schemas.ActionOut:
    """Approve or decline a re-send or cancellation; never by the person who asked (409
    maker-checker). Approval of a disbursement core banking has answered meanwhile is 409."""
    return schemas.ActionOut.model_validate(
        service.decide(session, principal, disbursement_id, action_id, body)
    )


@router.get(
    "/disbursements/{disbursement_id}/actions",
    response_model=list[schemas.ActionOut],
    responses=problem_responses(403, 404),
)
def list_actions(
    disbursement_id: uuid.UUID, session: DbSession, principal: Reader
) -> list[schemas.ActionOut]:
    """Re-sends and cancellations asked for, with their decisions."""
    return [
        schemas.ActionOut.model_validate(a)
        for a in service.actions(session, principal, disbursement_id)
    ]
