"""A loan's documents as PDF (issue 30): its contract, subsidy notice, schedule and settlement
certificate, printed from the template version the loan pinned."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from app.core.auth import Reader
from app.core.deps import DbSession
from app.core.problems import problem_responses
from app.documents import service
from app.domain.documents import DocumentKind

router = APIRouter(prefix="/v1", tags=["documents"])

PDF_MEDIA_TYPE = "application/pdf"
_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The document (A4, its Chinese font embedded). `Repr-Digest` carries its"
        " SHA-256, which the audit trail's `document.issue` event records.",
    }
}


@router.get(
    "/loans/{loan_id}/documents/{kind}",
    response_class=Response,
    responses={**_PDF, **problem_responses(403, 404, 409, 503)},
)
def get_document(
    loan_id: uuid.UUID, kind: DocumentKind, session: DbSession, principal: Reader
) -> Response:
    """借款合同 (contract), 贴息告知书 (subsidy_notice), 还款计划表 (schedule, once paid out)
    or 结清证明 (settlement, once repaid in full). The same loan in the same state gives the
    same bytes; each issue is recorded with its digest."""
    issued = service.issue(session, principal, loan_id, kind)
    digest = base64.b64encode(bytes.fromhex(issued.sha256)).decode()
    return Response(
        issued.body,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{issued.filename}"',
            "Repr-Digest": f"sha-256=:{digest}:",
            "Bangfu-Template-Version": issued.template,
            "Cache-Control": "no-store",
        },
    )
