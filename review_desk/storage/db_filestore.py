"""Dossier files kept in the database of a project on a server, so that every seat
reads the same files.

A file is one ``stored_file`` row (SHA-256, size) and its bytes as ``stored_file_chunk``
rows of 1 MiB, written in one transaction: a crash leaves either the whole file or
nothing. Files are streamed in and out chunk by chunk, never whole in memory.

The PDF viewer and the PDF reader workers need a path, so :meth:`DatabaseFileStore.
path_for` makes a local copy in this user's cache folder on demand: written to a
temporary name, its digest checked, then renamed (and made read-only). The functions
that take a ``Connection`` work in the caller's transaction (``project push`` stores a
whole project's files and rows in one).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from review_desk.audit import utc_now
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.storage import models as m
from review_desk.storage.filestore import PutMore, settle, spooled

CHUNK = 1 << 20


class StoredFileDamaged(UserError):
    """A stored file's bytes no longer have the digest it is stored under."""


def _check_digest(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")


def _damaged(sha256: str) -> StoredFileDamaged:
    return StoredFileDamaged(tr("The stored file {sha} is damaged.", sha=sha256[:12]))


def stored_size(connection: Connection, sha256: str) -> int | None:
    """The size of the stored file ``sha256``, or None when it is not stored."""
    return connection.execute(
        select(m.StoredFile.size).where(m.StoredFile.sha256 == sha256)
    ).scalar_one_or_none()


def stored_digests(connection: Connection) -> list[str]:
    """Every stored file's digest, in order."""
    return list(
        connection.execute(select(m.StoredFile.sha256).order_by(m.StoredFile.sha256)).scalars()
    )


def insert_file(connection: Connection, sha256: str, source: Path) -> int:
    """Store the file at ``source`` under ``sha256`` in the caller's transaction, hashing
    it as it goes; raise :class:`StoredFileDamaged` (the caller rolls back) when its
    bytes do not have that digest. Return its size."""
    _check_digest(sha256)
    size = source.stat().st_size
    connection.execute(insert(m.StoredFile).values(sha256=sha256, size=size, created_at=utc_now()))
    digest, total, seq = hashlib.sha256(), 0, 0
    with source.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            total += len(chunk)
            connection.execute(insert(m.StoredFileChunk).values(sha256=sha256, seq=seq, data=chunk))
            seq += 1
    if digest.hexdigest() != sha256 or total != size:
        raise _damaged(sha256)
    return size


def read_chunks(connection: Connection, sha256: str) -> Iterator[bytes]:
    """The bytes of a stored file, one chunk at a time (one query per chunk, so that no
    more than one chunk is held); raise :class:`StoredFileDamaged` for a missing chunk
    or a wrong length. Raise FileNotFoundError when the file is not stored."""
    size = stored_size(connection, sha256)
    if size is None:
        raise FileNotFoundError(sha256)
    count = -(-size // CHUNK)
    total = 0
    for seq in range(count):
        data = connection.execute(
            select(m.StoredFileChunk.data).where(
                m.StoredFileChunk.sha256 == sha256, m.StoredFileChunk.seq == seq
            )
        ).scalar_one_or_none()
        if data is None:
            raise _damaged(sha256)
        total += len(data)
        yield bytes(data)
    extra = connection.execute(
        select(func.count())
        .select_from(m.StoredFileChunk)
        .where(m.StoredFileChunk.sha256 == sha256, m.StoredFileChunk.seq >= count)
    ).scalar_one()
    if total != size or extra:
        raise _damaged(sha256)


def check_file(connection: Connection, sha256: str) -> bool:
    """True when the stored file's chunks, hashed again, give its digest and size."""
    digest = hashlib.sha256()
    try:
        for chunk in read_chunks(connection, sha256):
            digest.update(chunk)
    except StoredFileDamaged:
        return False
    return digest.hexdigest() == sha256


def write_out(connection: Connection, sha256: str, target: IO[bytes]) -> None:
    """Stream a stored file into ``target``; raise :class:`StoredFileDamaged` when the
    bytes written do not have its digest (the caller discards what was written)."""
    digest = hashlib.sha256()
    for chunk in read_chunks(connection, sha256):
        digest.update(chunk)
        target.write(chunk)
    if digest.hexdigest() != sha256:
        raise _damaged(sha256)


class DatabaseFileStore(PutMore):
    """The files of a project on a server, with the interface of :class:`FileStore`."""

    def __init__(self, engine: Engine, cache: Path) -> None:
        self.engine = engine
        self.cache = cache

    def _cached(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.cache / sha256[:2] / sha256

    def path_for(self, sha256: str) -> Path:
        """A local copy of the stored file, made on demand in the cache folder (its digest
        checked before it is given its name). For a file that is not stored, the path
        where its copy would be, which does not exist (as :class:`FileStore` does)."""
        path = self._cached(sha256)
        if path.is_file():
            return path
        with self.engine.connect() as connection:
            if stored_size(connection, sha256) is None:
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".copying-")
            try:
                with os.fdopen(fd, "wb") as out:
                    write_out(connection, sha256, out)
                os.chmod(tmp_name, 0o444)
                os.replace(tmp_name, path)
            except BaseException:
                if os.path.exists(tmp_name):
                    os.unlink(tmp_name)
                raise
        return path

    def contains(self, sha256: str) -> bool:
        """Return True when a file with this digest is stored."""
        _check_digest(sha256)
        with self.engine.connect() as connection:
            return stored_size(connection, sha256) is not None

    def put_stream(self, stream: IO[bytes]) -> tuple[str, int]:
        """Store the bytes of ``stream`` (once: a file stored already is not stored
        again); return their SHA-256 and size. The bytes go first to a temporary file of
        the cache (hashed as they come), then into the database in one transaction, and
        the temporary file becomes the file's local copy."""
        self.cache.mkdir(parents=True, exist_ok=True)
        with spooled(stream, self.cache) as (tmp, sha, size):
            try:
                with self.engine.begin() as connection:
                    if stored_size(connection, sha) is None:
                        insert_file(connection, sha, tmp)
            except IntegrityError:
                # Another seat stored the same file meanwhile: it is stored once.
                if not self.contains(sha):
                    raise
            settle(tmp, self._cached(sha))
        return sha, size

    def discard(self, sha256: str) -> None:
        """Remove a file this caller has just stored and whose use was rolled back
        (only for that: stored files are otherwise never removed), and its local copy."""
        with self.engine.begin() as connection:
            connection.execute(delete(m.StoredFileChunk).where(m.StoredFileChunk.sha256 == sha256))
            connection.execute(delete(m.StoredFile).where(m.StoredFile.sha256 == sha256))
        path = self._cached(sha256)
        if path.is_file():
            path.chmod(0o644)
            path.unlink()

    def verify(self, sha256: str) -> bool:
        """Return True when the chunks on the server, hashed again, still have the digest
        the file is stored under. Raise FileNotFoundError when it is not stored."""
        _check_digest(sha256)
        with self.engine.connect() as connection:
            if stored_size(connection, sha256) is None:
                raise FileNotFoundError(sha256)
            return check_file(connection, sha256)

    def export(self, sha256: str, target: Path) -> None:
        """Copy a stored file out of the database (streamed, its digest checked)."""
        _check_digest(sha256)
        with self.engine.connect() as connection:
            try:
                with target.open("wb") as out:
                    write_out(connection, sha256, out)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
