"""Content-addressed storage of dossier files beside the project database.

A file is stored once under its SHA-256 (``<project>.files/ab/abcdef...``), written to
a temporary name, flushed and renamed, so that a crash never leaves a half file under
a valid name. Stored files are read-only and never modified in place.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

_CHUNK = 1 << 20


@contextmanager
def spooled(stream: IO[bytes], folder: Path) -> Iterator[tuple[Path, str, int]]:
    """The bytes of ``stream`` in a temporary file of ``folder`` (flushed to disk, hashed
    as they came): its path, SHA-256 and size. The file is removed afterwards unless
    :func:`settle` moved it into place; an error removes it too."""
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        yield tmp, digest.hexdigest(), size
    finally:
        tmp.unlink(missing_ok=True)


def settle(tmp: Path, target: Path) -> None:
    """Make the spooled file ``tmp`` the read-only file at ``target``, unless a file is
    there already (the same bytes, by its name)."""
    if target.is_file():
        return
    target.parent.mkdir(exist_ok=True)
    os.chmod(tmp, 0o444)
    os.replace(tmp, target)


class PutMore:
    """``put_bytes`` and ``put_file`` for a store that has ``put_stream``."""

    def put_stream(self, stream: IO[bytes]) -> tuple[str, int]:
        raise NotImplementedError

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; return its SHA-256 and size."""
        return self.put_stream(io.BytesIO(data))

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store the file at ``source``; return its SHA-256 and size."""
        with source.open("rb") as stream:
            return self.put_stream(stream)


class FileStore(PutMore):
    """A folder of files addressed by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Return where the file with this digest is (or would be) stored."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def contains(self, sha256: str) -> bool:
        """Return True when a file with this digest is stored."""
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: IO[bytes]) -> tuple[str, int]:
        """Store the bytes of ``stream``; return their SHA-256 and size."""
        self.root.mkdir(parents=True, exist_ok=True)
        with spooled(stream, self.root) as (tmp, sha, size):
            settle(tmp, self.path_for(sha))
        return sha, size

    def discard(self, sha256: str) -> None:
        """Remove a file this caller has just stored and whose use was rolled back
        (only for that: stored files are otherwise never removed)."""
        path = self.path_for(sha256)
        if path.is_file():
            path.chmod(0o644)
            path.unlink()

    def verify(self, sha256: str) -> bool:
        """Return True when the stored file still has the digest it is stored under."""
        digest = hashlib.sha256()
        with self.path_for(sha256).open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def export(self, sha256: str, target: Path) -> None:
        """Copy a stored file out of the store."""
        shutil.copyfile(self.path_for(sha256), target)
