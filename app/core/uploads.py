"""Uploaded files (issue 26): taken from the socket into a temporary file as they arrive, so a
file up to the body limit (MAX_IMPORT_BYTES) costs disk, not memory, and every reader goes
over it as a stream. The file is gone when the request (or the job that reads it) ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from fastapi import Request

CHUNK = 1 << 20  # 1 MiB: what is held in memory at a time


class BodyTooLargeError(Exception):
    pass


class Upload:
    """A file on disk with its size; `digest` hashes what was written, in order."""

    def __init__(self, digest: hashlib._Hash | None = None) -> None:
        self.file: IO[bytes] = tempfile.NamedTemporaryFile(prefix="bangfu-upload-")  # noqa: SIM115
        self.size = 0
        self.has_nul = False
        self.digest = digest or hashlib.sha256()

    @classmethod
    def of(cls, data: bytes) -> Upload:
        """An upload holding `data` (a job's payload put back together, a test's file)."""
        upload = cls()
        upload.write(data)
        return upload.ready()

    @classmethod
    def copy_of(cls, path: str) -> Upload:
        """A file on the server's disk (the command line's import), copied a megabyte at a time."""
        upload = cls()
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                upload.write(chunk)
        return upload.ready()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.has_nul = self.has_nul or b"\x00" in chunk
        self.digest.update(chunk)
        self.file.write(chunk)

    def ready(self) -> Upload:
        self.file.flush()
        self.file.seek(0)
        return self

    @property
    def path(self) -> str:
        return self.file.name

    def open(self) -> IO[bytes]:
        """The file from its start (one reader at a time)."""
        self.file.seek(0)
        return self.file

    def reader(self) -> IO[bytes]:
        """A handle of its own on the file, from its start, for a reader that closes it."""
        return open(self.path, "rb")

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        stream = self.open()
        while chunk := stream.read(size):
            yield chunk

    def read_all(self) -> bytes:
        """The whole file: only for what is small by its own limit (a JSON import's body)."""
        return self.open().read()

    def close(self) -> None:
        self.file.close()


@contextmanager
def holding(upload: Upload) -> Iterator[Upload]:
    """The upload for the time of a block: then the file is removed and the memory its
    reading took (the workbook reader's, in C and Rust) is handed back to the system."""
    try:
        yield upload
    finally:
        upload.close()
        _hand_back_memory()


def _hand_back_memory() -> None:
    """glibc keeps freed memory for the process; `malloc_trim` returns it (elsewhere: no-op)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def upload_of(request: Request) -> Upload:
    """The request's file, as the unit of work took it in (app/core/middleware.py)."""
    upload: Upload = request.scope["state"]["upload"]
    return upload
