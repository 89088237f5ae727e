"""Dossier files in a server project's database: stored once, in chunks, in one
transaction; local copies made on demand and checked; a damaged chunk is found."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.project import Project
from review_desk.storage import db_filestore
from review_desk.storage.db_filestore import CHUNK, DatabaseFileStore


def _store(url: str, cache: Path) -> tuple[Project, DatabaseFileStore]:
    project = Project.create(url, name="文件", files_dir=cache)
    assert isinstance(project.files, DatabaseFileStore)
    return project, project.files


def _chunks(url: str, sha: str) -> list[tuple[int, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [
                (int(seq), int(size))
                for seq, size in connection.execute(
                    sa.text(
                        "SELECT seq, length(data) FROM stored_file_chunk WHERE sha256 = :s "
                        "ORDER BY seq"
                    ),
                    {"s": sha},
                )
            ]
    finally:
        engine.dispose()


def test_a_file_of_three_mib_is_stored_once_in_chunks(pg_database: str, tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK + 12345)
    source = tmp_path / "big.pdf"
    source.write_bytes(data)
    project, store = _store(pg_database, tmp_path / "cache")
    with project:
        sha, size = store.put_file(source)
        assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
        assert store.put_bytes(data) == (sha, size)  # stored twice = stored once
        assert _chunks(pg_database, sha) == [(0, CHUNK), (1, CHUNK), (2, CHUNK), (3, 12345)]
        assert store.contains(sha) and store.verify(sha)
        other = "0" * 64
        assert not store.contains(other)
        assert not store.path_for(other).exists()

        # The local copy: made on demand from the chunks, checked, read-only.
        cached = store.path_for(sha)
        cached.chmod(0o644)
        cached.unlink()
        copy = store.path_for(sha)
        assert copy.read_bytes() == data and not copy.stat().st_mode & 0o222
        store.export(sha, tmp_path / "out.pdf")
        assert (tmp_path / "out.pdf").read_bytes() == data

        empty_sha, empty_size = store.put_bytes(b"")
        assert empty_size == 0 and store.verify(empty_sha)
        assert store.path_for(empty_sha).read_bytes() == b""

        store.discard(empty_sha)
        assert not store.contains(empty_sha)


def test_a_flipped_byte_in_a_chunk_is_found(pg_database: str, tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK + 7)
    project, store = _store(pg_database, tmp_path / "cache")
    with project:
        sha, _size = store.put_bytes(data)
        engine = sa.create_engine(pg_database)
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "UPDATE stored_file_chunk SET data = set_byte(data, 100, "
                        "255 - get_byte(data, 100)) WHERE sha256 = :s AND seq = 1"
                    ),
                    {"s": sha},
                )
        finally:
            engine.dispose()
        assert not store.verify(sha)
        # No local copy is made of a damaged file.
        cached = store.cache / sha[:2] / sha
        cached.chmod(0o644)
        cached.unlink()
        with pytest.raises(db_filestore.StoredFileDamaged):
            store.path_for(sha)
        assert not cached.exists() and not list(cached.parent.glob(".copying-*"))


def test_a_failure_part_way_stores_nothing(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, store = _store(pg_database, tmp_path / "cache")
    calls = 0
    real = db_filestore.insert

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:  # the row and the first chunk went in
            raise OSError("the connection broke")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(db_filestore, "insert", failing)
    with project:
        with pytest.raises(OSError):
            store.put_bytes(os.urandom(2 * CHUNK))
        monkeypatch.undo()
        engine = sa.create_engine(pg_database)
        try:
            with engine.connect() as connection:
                for table in ("stored_file", "stored_file_chunk"):
                    assert (
                        connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0
                    )
        finally:
            engine.dispose()
        assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
