"""Shared fixtures: offscreen Qt, a demo project built once per session, and a guard
against tests that leave threads running."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.backends", "tests.gc_tuning"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REVIEW_DESK_LANG", "zh_CN")
# Unexpected errors that tests provoke are logged in a folder of the test run, not in
# the developer's own error log.
os.environ.setdefault("REVIEW_DESK_LOG_DIR", tempfile.mkdtemp(prefix="review-desk-test-logs-"))
# Local copies of server projects' files: in a folder of the test run too.
os.environ.setdefault("REVIEW_DESK_CACHE_DIR", tempfile.mkdtemp(prefix="review-desk-test-cache-"))
# Charts are written at a low resolution (300 dpi by default): what the tests check of a
# written chart does not depend on it, and the commands run in subprocesses inherit it.
os.environ.setdefault("REVIEW_DESK_CHART_DPI", "50")
# One OpenBLAS thread per process (set before numpy loads): the workers already use every
# processor, and OpenBLAS's extra threads spin waiting for work (some 10 % more CPU time
# for the ranking and scoring tests), taking it from the other worker.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project built once per test run (shared by the xdist workers); tests copy
    it rather than change it."""
    from review_desk.demo import build_demo
    from tests.built_once import built_once

    folder = built_once(tmp_path_factory, "demo", lambda f: build_demo(f / "demo.rdp").close())
    return folder / "demo.rdp"


@pytest.fixture
def demo_project(
    demo_source: Path, tmp_path: Path, project_on_backend: Callable[[str, Path, Path], Path]
) -> Path:
    """A private copy of the demo project (database and file store); under
    ``--db=postgresql`` the URL of a copy on the server (see tests/backends.py)."""
    return project_on_backend("demo", demo_source, tmp_path / "demo.rdp")


@pytest.fixture(scope="session")
def _shared_demo(demo_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(demo_source, tmp_path_factory.mktemp("shared") / "demo.rdp")


def _fingerprint(project: Path) -> tuple[str, list[tuple[str, int]]]:
    """The database's bytes (hashed) and the file store's names and sizes."""
    store = project.with_name(project.name + ".files")
    files = sorted(
        (str(f.relative_to(store)), f.stat().st_size) for f in store.rglob("*") if f.is_file()
    )
    return hashlib.sha256(project.read_bytes()).hexdigest(), files


@pytest.fixture
def demo_readonly(
    request: pytest.FixtureRequest, db_backend: str, demo_source: Path
) -> Iterator[Path]:
    """The demo project shared by every test that only reads it (no copy per test); a
    test that changes it fails, as it should have asked for ``demo_project``."""
    if db_backend != "sqlite":
        yield from _server_demo_readonly(request, demo_source)
        return
    _shared_demo = request.getfixturevalue("_shared_demo")
    before = _fingerprint(_shared_demo)
    yield _shared_demo
    after = _fingerprint(_shared_demo)
    wal = _shared_demo.with_name(_shared_demo.name + "-wal")
    assert after == before and not (wal.exists() and wal.stat().st_size), (
        "the test changed the shared read-only demo: use demo_project"
    )


def _server_demo_readonly(request: pytest.FixtureRequest, demo_source: Path) -> Iterator[Path]:
    """The server's demo template itself, checked by its audit head (every write of the
    app appends to the audit log)."""
    from sqlalchemy import func, select

    from review_desk.project import Project
    from review_desk.storage import models as m

    cluster = request.getfixturevalue("pg_cluster")
    database = request.getfixturevalue("_pg_templates")("demo", demo_source)
    url = cluster.url(database)

    def head() -> object:
        with Project(url, read_only=True) as project, project.reading() as session:
            return session.scalar(select(func.max(m.AuditLog.id)))

    before = head()
    yield url  # type: ignore[misc]
    assert head() == before, "the test changed the shared read-only demo: use demo_project"


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Fail a test that leaves Python threads running."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project file and its file store."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(
        source.with_name(source.name + ".files"), target.with_name(target.name + ".files")
    )
    return target


@pytest.fixture(scope="session")
def finalised_source(explained_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with its deviations explained, an adjustment and the list finalised;
    made once per test run."""
    from review_desk import ranking, ranking_decisions
    from review_desk.project import Project
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        path = copy_project(explained_source, folder / "final.rdp")
        with Project(path) as project:
            result = ranking.compute(project, resamples=0)
            best_municipal = result.table[result.table["tier"] == "municipal"].iloc[0]
            ranking_decisions.adjust(
                project,
                int(best_municipal["dossier_id"]),
                "provincial",
                "联席会议认定其示范作用突出",
                actor="联席会议",
            )
            ranking_decisions.finalise(project, actor="联席会议")

    return built_once(tmp_path_factory, "finalised-demo", build) / "final.rdp"


@pytest.fixture
def finalised_project(
    finalised_source: Path,
    tmp_path: Path,
    project_on_backend: Callable[[str, Path, Path], Path],
) -> Path:
    """A private copy of the finalised demo project (on this run's backend)."""
    return project_on_backend("final", finalised_source, tmp_path / "final.rdp")


@pytest.fixture(scope="session")
def recognition_source(finalised_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo recognition round made from a copy of the finalised selection demo; made
    once per test run."""
    from review_desk.demo.recognition import build_recognition_demo
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        selection = copy_project(finalised_source, folder / "selection.rdp")
        build_recognition_demo(selection, folder / "recognition.rdp").close()

    return built_once(tmp_path_factory, "recognition-demo", build) / "recognition.rdp"


@pytest.fixture(scope="session")
def explained_recognition_source(
    recognition_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo recognition round with every deviation explained (ready to finalise);
    made once per test run."""
    from review_desk import ranking_decisions, recognition
    from review_desk.project import Project
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        path = copy_project(recognition_source, folder / "recognition.rdp")
        with Project(path) as project:
            for flag in recognition.round_review(project).flags.itertuples():
                ranking_decisions.explain_deviation(
                    project, int(flag.dossier_id), int(flag.expert_id), "专家书面说明：已复核材料"
                )

    return built_once(tmp_path_factory, "explained-recognition", build) / "recognition.rdp"


@pytest.fixture(scope="session")
def explained_source(demo_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with every deviation explained (in this process), not yet finalised;
    made once per test run."""
    from review_desk import ranking, ranking_decisions
    from review_desk.project import Project
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        path = copy_project(demo_source, folder / "demo.rdp")
        with Project(path) as project:
            for flag in ranking.compute(project, resamples=0).experts.itertuples():
                ranking_decisions.explain_deviation(
                    project, int(flag.dossier_id), int(flag.expert_id), "专家书面说明：已复核材料"
                )

    return built_once(tmp_path_factory, "explained-demo", build) / "demo.rdp"
