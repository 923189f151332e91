"""Attaching evidence to a record, listing it and reading it back (issue 30). The file goes to
the object store first (named by its SHA-256, so a retry writes nothing new), then its row and
audit event in the request's transaction; a file that never got its row is an unnamed object,
harmless, and the row is never written without its file."""

from __future__ import annotations

import hashlib
import uuid

import structlog
from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import objects
from app.core.auth import Principal
from app.core.i18n import Said
from app.core.problems import Problem, not_found
from app.core.scoping import get_scoped
from app.core.uploads import Upload
from app.domain.evidence import MEDIA_TYPES, EvidenceSubject, kept_name, media_type_of
from app.evidence.models import Attachment

log = structlog.get_logger("bangfu.evidence")

# Each record's county, as its own table keeps it (the record's scope is the attachment's).
_REGION_OF = {
    EvidenceSubject.investigation: "SELECT a.region_code FROM investigations i"
    " JOIN applications a ON a.id = i.application_id WHERE i.id = :id",
    EvidenceSubject.monitoring_visit: "SELECT region_code FROM monitoring_visits WHERE id = :id",
    EvidenceSubject.collection_action: "SELECT c.region_code FROM collection_actions x"
    " JOIN collection_cases c ON c.id = x.case_id WHERE x.id = :id",
    EvidenceSubject.write_off: "SELECT region_code FROM write_offs WHERE id = :id",
    EvidenceSubject.exemption_case: "SELECT region_code FROM exemption_cases WHERE id = :id",
}


def _region_of(
    session: Session, principal: Principal, subject: EvidenceSubject, subject_id: uuid.UUID
) -> str:
    region = session.scalar(text(_REGION_OF[subject]), {"id": subject_id})
    if region is None:
        raise not_found("Evidence record")
    principal.ensure_region(region, "Evidence record")
    return str(region)


def attach(
    session: Session,
    principal: Principal,
    subject: EvidenceSubject,
    subject_id: uuid.UUID,
    upload: Upload,
    *,
    file_name: str,
    note: str | None = None,
    corrects: uuid.UUID | None = None,
) -> tuple[Attachment, bool]:
    """The attachment, and whether it is new (the same file on the same record is found)."""
    region = _region_of(session, principal, subject, subject_id)
    media_type = _media_type(upload)
    digest = _sha256(upload)
    if corrects is not None:
        _refuse_unless_on_the_record(session, subject, subject_id, corrects)
    kept = _kept(session, subject, subject_id, digest)
    if kept is not None:
        return kept, False
    store = objects.evidence_store()
    try:
        store.put(digest, upload.open(), upload.size)
    except objects.StoreUnavailableError as exc:
        log.error("evidence_store_unavailable", store=store.name, error=str(exc))
        raise _store_unavailable() from exc
    values = {
        "id": uuid.uuid4(),
        "subject_type": subject.value,
        "subject_id": subject_id,
        "region_code": region,
        "file_name": kept_name(file_name, media_type),
        "media_type": media_type,
        "bytes": upload.size,
        "sha256": digest,
        "store": store.name,
        "note": note,
        "corrects_id": corrects,
        "uploaded_by": principal.subject,
    }
    written = session.scalar(
        insert(Attachment).values(**values).on_conflict_do_nothing().returning(Attachment.id)
    )
    if written is None:  # a request racing this one kept the same file first
        raced = _kept(session, subject, subject_id, digest)
        assert raced is not None
        return raced, False
    audit.record(
        session,
        principal,
        "evidence.attach",
        subject.value,
        subject_id,
        region_code=region,
        after={
            "file_name": values["file_name"],
            "media_type": media_type,
            "bytes": upload.size,
            "sha256": digest,
            "corrects": str(corrects) if corrects else None,
        },
    )
    attachment = session.get(Attachment, values["id"])
    assert attachment is not None
    return attachment, True


def listed(
    session: Session, principal: Principal, subject: EvidenceSubject, subject_id: uuid.UUID
) -> list[Attachment]:
    _region_of(session, principal, subject, subject_id)
    return of_records(session, [(subject, subject_id)])


def of_records(
    session: Session, records: list[tuple[EvidenceSubject, uuid.UUID]]
) -> list[Attachment]:
    """Every attachment of these records, oldest first (the exemption case's evidence file)."""
    if not records:
        return []
    rows = session.scalars(
        select(Attachment)
        .where(
            tuple_(Attachment.subject_type, Attachment.subject_id).in_(
                [(subject.value, subject_id) for subject, subject_id in records]
            )
        )
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list(rows)


def found(session: Session, principal: Principal, attachment_id: uuid.UUID) -> Attachment:
    return get_scoped(session, Attachment, attachment_id, principal, "Attachment")


def content(attachment: Attachment) -> bytes:
    """The file, checked against the digest it was kept under."""
    store = objects.evidence_store()
    try:
        return store.get(attachment.sha256)
    except objects.StoreUnavailableError as exc:
        log.error("evidence_store_unavailable", store=store.name, error=str(exc))
        raise _store_unavailable() from exc
    except objects.CorruptObjectError as exc:
        log.error("evidence_corrupt", attachment_id=str(attachment.id), sha256=attachment.sha256)
        raise Problem(
            503,
            Said(
                "证据文件与登记时的校验值不符，已记录告警，请联系技术支持",
                "The stored file does not match the checksum it was kept with; reported",
            ),
            slug="evidence-corrupt",
        ) from exc


def _media_type(upload: Upload) -> str:
    if upload.size == 0:
        raise Problem(422, Said("文件为空", "The file is empty"), slug="empty-file")
    media_type = media_type_of(upload.open().read(16))
    if media_type is None:
        raise Problem(
            415,
            Said(
                "只接受 JPEG、PNG 照片或 PDF 扫描件",
                f"Only JPEG or PNG photos and PDF scans are kept ({', '.join(MEDIA_TYPES)})",
            ),
            slug="unsupported-media-type",
        )
    return media_type


def _sha256(upload: Upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _kept(
    session: Session, subject: EvidenceSubject, subject_id: uuid.UUID, digest: str
) -> Attachment | None:
    return session.scalar(
        select(Attachment).where(
            Attachment.subject_type == subject.value,
            Attachment.subject_id == subject_id,
            Attachment.sha256 == digest,
        )
    )


def _refuse_unless_on_the_record(
    session: Session, subject: EvidenceSubject, subject_id: uuid.UUID, corrects: uuid.UUID
) -> None:
    earlier = session.get(Attachment, corrects)
    if earlier is None or (earlier.subject_type, earlier.subject_id) != (subject, subject_id):
        raise Problem(
            422,
            Said(
                "被更正的材料不属于这条记录",
                "The attachment corrected is not one of this record's",
            ),
            slug="not-this-records-attachment",
        )


def _store_unavailable() -> Problem:
    return Problem(
        503,
        Said(
            "证据存储暂不可用，材料未保存，请稍后重试",
            "The evidence store is unavailable; nothing was kept",
        ),
        slug="evidence-store-unavailable",
        headers={"Retry-After": "30"},
    )
