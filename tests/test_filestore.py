"""The content-addressed file store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from review_desk.storage.filestore import FileStore


def test_put_and_verify(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    data = "申报材料".encode() * 1000
    sha, size = store.put_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    assert store.path_for(sha).read_bytes() == data
    assert store.verify(sha)
    # storing the same bytes again keeps one copy
    assert store.put_bytes(data) == (sha, size)
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [sha]


def test_rejects_bad_digest(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileStore(tmp_path).path_for("../../etc/passwd")
