"""Issuing a loan's document: its papers read, the template the loan pinned, the PDF, and an
audit event with the document's SHA-256 (the same papers give the same bytes, so the digest
identifies what was handed over)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.auth import Principal
from app.core.i18n import Said
from app.core.problems import Problem, conflict
from app.core.settings import get_settings
from app.documents import facts, pdf, templates
from app.domain.documents import DocumentKind, refusal
from app.domain.loan_status import LoanStatus


@dataclass(frozen=True, slots=True)
class Issued:
    kind: DocumentKind
    body: bytes
    sha256: str
    template: str
    filename: str  # ASCII: the contract number and the kind


def issue(session: Session, principal: Principal, loan_id: uuid.UUID, kind: DocumentKind) -> Issued:
    """The document as PDF (404 outside the caller's regions, 409 when the loan has none of
    this kind yet, 503 when the host lacks the font), recorded in the audit trail."""
    papers = facts.read(session, principal, loan_id)
    loan = papers.loan
    refused = refusal(kind, LoanStatus(loan.status), loan.value_date is not None)
    if refused is not None:
        raise conflict(refused, slug="document-not-issuable")
    font_path = get_settings().document_font_path
    try:
        body = pdf.render(templates.build(papers, kind), font_path)
        font = pdf.font(font_path)
    except pdf.FontMissingError as exc:
        raise Problem(
            503,
            Said(
                f"服务器缺少文书字体（{exc}），请安装 fonts-wqy-microhei",
                f"The documents' font is missing on this host ({exc}): install fonts-wqy-microhei",
            ),
            slug="document-font-missing",
        ) from exc
    digest = hashlib.sha256(body).hexdigest()
    audit.record(
        session,
        principal,
        "document.issue",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "kind": kind.value,
            "template": loan.document_template,
            "sha256": digest,
            "bytes": len(body),
            "font_sha256": font.sha256,
        },
    )
    return Issued(kind, body, digest, loan.document_template, f"{loan.contract_number}-{kind}.pdf")
