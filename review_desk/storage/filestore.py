"""Content-addressed storage of dossier files beside the project database.

A file is stored once under its SHA-256 (``<project>.files/ab/abcdef...``), written to
a temporary name, flushed and renamed, so that a crash never leaves a half file under
a valid name. Stored files are read-only and never modified in place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

_CHUNK = 1 << 20


class FileStore:
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
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if target.is_file():
                os.unlink(tmp_name)
            else:
                target.parent.mkdir(exist_ok=True)
                os.chmod(tmp_name, 0o444)
                os.replace(tmp_name, target)
            return sha, size
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; return its SHA-256 and size."""
        import io

        return self.put_stream(io.BytesIO(data))

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy the file at ``source`` into the store; return its SHA-256 and size."""
        with source.open("rb") as stream:
            return self.put_stream(stream)

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
