"""Files kept for good (issue 30's evidence attachments): an object store written once per
content, each object named by its SHA-256, so a retry or a second upload of the same file
writes nothing new and nothing is ever overwritten. A local directory by default (the embedded
set-up), an S3-compatible store in production (EVIDENCE_STORE=s3; compose runs one)."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Protocol

from app.core.settings import get_settings


class StoreUnavailableError(RuntimeError):
    """The store could not be reached or refused the write (answered 503: nothing recorded)."""


class CorruptObjectError(RuntimeError):
    """What the store gave back does not hash to the name it was kept under."""


class ObjectStore(Protocol):
    name: str

    def put(self, digest: str, source: IO[bytes], size: int) -> None:
        """Keep `source` (`size` bytes hashing to `digest`) unless it is kept already."""

    def get(self, digest: str) -> bytes:
        """The object, checked against its digest."""


def key_of(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest}"


def _checked(digest: str, data: bytes) -> bytes:
    if hashlib.sha256(data).hexdigest() != digest:
        raise CorruptObjectError(digest)
    return data


class LocalStore:
    """A directory: written to a temporary file, flushed to disk, then linked under its name
    (a link never replaces an existing file), and made read-only."""

    name = "local"

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def put(self, digest: str, source: IO[bytes], size: int) -> None:
        target = self.root / key_of(digest)
        if target.exists():
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                while chunk := source.read(1 << 20):
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp.name, 0o440)
            try:
                os.link(tmp.name, target)
            except FileExistsError:
                pass  # the same content, kept by a request racing this one
            finally:
                os.unlink(tmp.name)
        except OSError as exc:
            raise StoreUnavailableError(str(exc)) from exc

    def get(self, digest: str) -> bytes:
        try:
            data = (self.root / key_of(digest)).read_bytes()
        except OSError as exc:
            raise StoreUnavailableError(str(exc)) from exc
        return _checked(digest, data)


class S3Store:
    """An S3-compatible bucket (path-style addressing, as MinIO and most on-premises stores
    serve): written with `If-None-Match: *` and the SHA-256 for the store to check."""

    name = "s3"

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, digest: str, source: IO[bytes], size: int) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key_of(digest),
                Body=source,
                ContentLength=size,
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return  # kept already: same name, same content
            raise StoreUnavailableError(str(exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailableError(str(exc)) from exc

    def get(self, digest: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key_of(digest))
            data: bytes = answer["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailableError(str(exc)) from exc
        return _checked(digest, data)


@functools.cache
def _s3(endpoint: str, region: str, key_id: str, secret: str, bucket: str) -> S3Store:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region,
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )
    return S3Store(client, bucket)


def evidence_store() -> ObjectStore:
    """The store the settings name."""
    settings = get_settings()
    if settings.evidence_store == "s3":
        return _s3(
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key.get_secret_value(),
            settings.s3_bucket,
        )
    return LocalStore(settings.evidence_dir)
