"""Evidence attachments over HTTP (issue 30): a photo or scan sent as the request's body, kept
for a record within the caller's regions; listed per record; read back checked against its
digest. Nothing here deletes or replaces: a correction is a new attachment (`corrects`)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from app.core.auth import READERS, Principal, Role, require
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.core.uploads import upload_of
from app.domain.evidence import MEDIA_TYPES, EvidenceSubject
from app.evidence import service
from app.evidence.models import Attachment

router = APIRouter(prefix="/v1", tags=["evidence"])

# Who keeps evidence: those who record the investigations, visits, collection actions,
# write-off proposals and exemption cases; those who read them, and the committee deciding.
Keeper = Annotated[
    Principal,
    Depends(require(Role.loan_officer, Role.credit_reviewer, Role.risk_manager)),
]
Viewer = Annotated[Principal, Depends(require(*READERS, Role.exemption_committee))]


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_type: EvidenceSubject
    subject_id: uuid.UUID
    file_name: str
    media_type: str
    bytes: int
    sha256: str
    note: str | None
    corrects_id: uuid.UUID | None
    uploaded_by: str
    uploaded_at: datetime


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/attachments",
    response_model=AttachmentOut,
    status_code=201,
    responses={
        200: {"model": AttachmentOut, "description": "the same file was kept for this record"},
        **problem_responses(403, 404, 413, 415, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                **{media: _BINARY for media in MEDIA_TYPES},
                "application/octet-stream": _BINARY,
            },
        }
    },
)
async def attach(
    request: Request,
    session: DbSession,
    principal: Keeper,
    subject_type: EvidenceSubject,
    subject_id: uuid.UUID,
    file_name: Annotated[str, Query(min_length=1, max_length=200)],
    note: Annotated[str | None, Query(max_length=500)] = None,
    corrects: Annotated[uuid.UUID | None, Query(description="the attachment it corrects")] = None,
) -> Any:
    """The file is the body (JPEG, PNG or PDF, recognised by its content; up to
    EVIDENCE_MAX_BYTES). Kept under its SHA-256 and never deleted; the same file for the same
    record answers 200 with the one kept."""
    upload = upload_of(request)
    attachment, new = await run_in_threadpool(
        service.attach,
        session,
        principal,
        subject_type,
        subject_id,
        upload,
        file_name=file_name,
        note=note,
        corrects=corrects,
    )
    out = AttachmentOut.model_validate(attachment)
    return out if new else JSONResponse(out.model_dump(mode="json"), status_code=200)


@router.get(
    "/attachments", response_model=list[AttachmentOut], responses=problem_responses(403, 404)
)
def list_attachments(
    session: DbSession, principal: Viewer, subject_type: EvidenceSubject, subject_id: uuid.UUID
) -> list[Attachment]:
    """A record's attachments, oldest first (corrections name what they correct)."""
    return service.listed(session, principal, subject_type, subject_id)


@router.get(
    "/attachments/{attachment_id}",
    response_model=AttachmentOut,
    responses=problem_responses(403, 404),
)
def get_attachment(attachment_id: uuid.UUID, session: DbSession, principal: Viewer) -> Attachment:
    """One attachment: its record, file name, kind, size, SHA-256, who kept it and when."""
    return service.found(session, principal, attachment_id)


@router.get(
    "/attachments/{attachment_id}/content",
    response_class=Response,
    responses={
        200: {"content": {media: _BINARY for media in MEDIA_TYPES}},
        **problem_responses(403, 404, 503),
    },
)
def get_attachment_content(
    attachment_id: uuid.UUID, session: DbSession, principal: Viewer
) -> Response:
    """The file as kept, checked against its SHA-256 on the way out (`Repr-Digest`)."""
    attachment = service.found(session, principal, attachment_id)
    body = service.content(attachment)
    digest = base64.b64encode(bytes.fromhex(attachment.sha256)).decode()
    return Response(
        body,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(attachment.file_name),
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
        },
    )
