"""Evidence attachments over HTTP (issue 30), under both stores: a folder (the embedded
default) and an S3 API (moto's server, in process, speaking the same protocol as the bank's
store): kept under their checksum, found again rather than kept twice, limits, scope, never
changed or deleted, and nothing recorded when the store is down."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from app.core import clock
from app.core.auth import Role
from app.core.objects import key_of
from app.core.settings import get_settings
from tests.api.factories import Origination, Servicing, headers, own_county

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2048)
PDF = b"%PDF-1.4\n" + os.urandom(1024) + b"\n%%EOF\n"
BUCKET = "bangfu-evidence"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    _s3_client(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _s3_client(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture(params=["local", "s3"])
def store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """The service set to keep files in a fresh folder, or in the S3 server's bucket."""
    if request.param == "local":
        monkeypatch.setenv("EVIDENCE_STORE", "local")
        monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    else:
        url = request.getfixturevalue("s3_server")
        for name, value in {
            "EVIDENCE_STORE": "s3",
            "S3_ENDPOINT_URL": url,
            "S3_ACCESS_KEY_ID": "test",
            "S3_SECRET_ACCESS_KEY": "test",
        }.items():
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield request.param
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("58")))


def _visit(svc: Servicing) -> str:
    loan = svc.active_loan(clock.today())
    visit = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={"visited_on": clock.today().isoformat(), "finding": "as_declared"},
    )
    assert visit.status_code == 201, visit.text
    return str(visit.json()["id"])


def _attach(
    svc: Servicing,
    subject_id: str,
    body: bytes,
    *,
    name: str = "牛舍照片.jpg",
    who: dict[str, str] | None = None,
    kind: str = "monitoring_visit",
    **params: str,
) -> httpx.Response:
    return svc.client.post(
        "/v1/attachments",
        params={"subject_type": kind, "subject_id": subject_id, "file_name": name, **params},
        content=body,
        headers={**(who or svc.flow.officer), "Content-Type": "image/jpeg"},
    )


def _events(svc: Servicing, subject_id: str) -> list[dict[str, Any]]:
    answer = svc.client.get(
        "/v1/audit-events",
        params={"entity_id": subject_id},
        headers=headers(Role.auditor, sub="auditor"),
    )
    return [e for e in answer.json()["items"] if e["action"] == "evidence.attach"]


def test_a_photo_is_kept_under_its_checksum_read_back_whole_and_not_kept_twice(
    svc: Servicing, store: str, s3_server: str
) -> None:
    visit = _visit(svc)
    kept = _attach(svc, visit, JPEG, note="走访时拍摄")
    assert kept.status_code == 201, kept.text
    attachment = kept.json()
    digest = hashlib.sha256(JPEG).hexdigest()
    assert attachment["sha256"] == digest and attachment["bytes"] == len(JPEG)
    assert attachment["media_type"] == "image/jpeg" and attachment["file_name"] == "牛舍照片.jpg"
    assert attachment["uploaded_by"] == f"officer-{svc.flow.tag}"

    # in the store the settings name, under its digest
    if store == "local":
        kept_file = Path(get_settings().evidence_dir) / key_of(digest)
        assert kept_file.read_bytes() == JPEG
    else:
        kept_object = _s3_client(s3_server).get_object(Bucket=BUCKET, Key=key_of(digest))
        assert kept_object["Body"].read() == JPEG

    content = svc.client.get(
        f"/v1/attachments/{attachment['id']}/content", headers=svc.flow.reviewer
    )
    assert content.status_code == 200 and content.content == JPEG
    assert content.headers["content-type"] == "image/jpeg"
    assert content.headers["repr-digest"] == (
        f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    )

    again = _attach(svc, visit, JPEG, name="another name.jpg")
    assert again.status_code == 200 and again.json()["id"] == attachment["id"]
    listed = svc.client.get(
        "/v1/attachments",
        params={"subject_type": "monitoring_visit", "subject_id": visit},
        headers=svc.flow.officer,
    )
    assert [a["id"] for a in listed.json()] == [attachment["id"]]
    (event,) = _events(svc, visit)
    assert event["after"]["sha256"] == digest and event["entity_type"] == "monitoring_visit"


def test_a_correction_is_a_new_attachment_and_nothing_is_changed_or_deleted(
    svc: Servicing, store: str, database_url: str
) -> None:
    visit = _visit(svc)
    first = _attach(svc, visit, JPEG).json()
    corrected = _attach(svc, visit, PDF, name="走访记录扫描件", corrects=first["id"])
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["corrects_id"] == first["id"]
    assert corrected.json()["file_name"] == "走访记录扫描件.pdf"
    assert corrected.json()["media_type"] == "application/pdf"
    # a correction names an attachment of the same record
    other = _visit(svc)
    stray = _attach(svc, other, PDF + b"x", corrects=first["id"])
    assert stray.status_code == 422
    gone = svc.client.delete(f"/v1/attachments/{first['id']}", headers=svc.flow.officer)
    assert gone.status_code == 405
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in (
            "UPDATE attachments SET file_name = 'x' WHERE id = %s",
            "DELETE FROM attachments WHERE id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (first["id"],))


def test_limits_are_kept_at_the_door(
    svc: Servicing, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = _visit(svc)
    assert _attach(svc, visit, b"").status_code == 422
    # the content decides, not the declared type: text sent as a JPEG is refused
    refused = _attach(svc, visit, b"just some text, not a photo")
    assert refused.status_code == 415 and "JPEG" in refused.json()["detail"]
    assert _attach(svc, visit, b"MZ\x90\x00" + os.urandom(64), name="x.exe").status_code == 415
    # a path in the name is dropped, the extension follows the content
    named = _attach(svc, visit, JPEG, name="../../etc/passwd")
    assert named.status_code == 201 and named.json()["file_name"] == "passwd.jpg"
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "2048")
    get_settings.cache_clear()
    too_big = _attach(svc, visit, JPEG + b"more")
    assert too_big.status_code == 413
    unknown = _attach(svc, visit, PDF, kind="loan")
    assert unknown.status_code == 422
    assert len(_events(svc, visit)) == 1  # only the one kept


def test_attachments_keep_to_their_records_regions_and_roles(svc: Servicing, store: str) -> None:
    visit = _visit(svc)
    attachment = _attach(svc, visit, JPEG).json()
    elsewhere = headers(Role.loan_officer, sub="far", regions=["110101"])
    assert _attach(svc, visit, PDF, who=elsewhere).status_code == 404
    assert _attach(svc, str(uuid.uuid4()), PDF).status_code == 404
    for path in (
        f"/v1/attachments/{attachment['id']}",
        f"/v1/attachments/{attachment['id']}/content",
    ):
        assert svc.client.get(path, headers=elsewhere).status_code == 404
        assert svc.client.get(path, headers=svc.core).status_code == 403
    listed = svc.client.get(
        "/v1/attachments",
        params={"subject_type": "monitoring_visit", "subject_id": visit},
        headers=elsewhere,
    )
    assert listed.status_code == 404
    auditor = headers(Role.auditor, sub="aud")
    assert _attach(svc, visit, PDF, who=auditor).status_code == 403
    assert svc.client.get(f"/v1/attachments/{attachment['id']}", headers=auditor).status_code == 200


def test_a_store_that_is_down_keeps_nothing_and_says_so(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = _visit(svc)
    monkeypatch.setenv("EVIDENCE_STORE", "s3")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    try:
        down = _attach(svc, visit, JPEG)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert down.status_code == 503 and down.headers["retry-after"] == "30"
    listed = svc.client.get(
        "/v1/attachments",
        params={"subject_type": "monitoring_visit", "subject_id": visit},
        headers=svc.flow.officer,
    )
    assert listed.json() == [] and _events(svc, visit) == []


def test_a_file_changed_in_the_store_is_never_handed_out(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        visit = _visit(svc)
        attachment = _attach(svc, visit, JPEG).json()
        kept_file = tmp_path / key_of(attachment["sha256"])
        kept_file.chmod(0o640)
        kept_file.write_bytes(JPEG[:-1] + b"\x00")
        tampered = svc.client.get(
            f"/v1/attachments/{attachment['id']}/content", headers=svc.flow.officer
        )
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert tampered.status_code == 503 and "校验" in tampered.json()["detail"]
