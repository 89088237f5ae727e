"""Shared fixtures: offscreen Qt, a demo project built once per session, and a guard
against tests that leave threads running."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REVIEW_DESK_LANG", "zh_CN")


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project built once; tests copy it rather than change it."""
    from review_desk.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.rdp"
    build_demo(path).close()
    return path


@pytest.fixture
def demo_project(demo_source: Path, tmp_path: Path) -> Path:
    """A private copy of the demo project (database and file store)."""
    import shutil
    import sqlite3

    target = tmp_path / "demo.rdp"
    with sqlite3.connect(demo_source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(demo_source.with_name("demo.rdp.files"), tmp_path / "demo.rdp.files")
    return target


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Fail a test that leaves Python threads running."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"
