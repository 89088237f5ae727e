"""GUI fixtures: one QApplication for the session (pytest-qt), test-mode standard paths,
settings in a temporary file, and the demo project path redirected to a temp folder."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load on this machine")

from PySide6.QtCore import QSettings, QStandardPaths

QStandardPaths.setTestModeEnabled(True)


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["review-desk-tests"]


@pytest.fixture(scope="session")
def qapp(qapp_args: list[str]):  # type: ignore[no-untyped-def]
    """The application, set up as the real one is (translations, style)."""
    from ui.app import create_application

    return create_application(qapp_args)


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from ui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, qapp, settings, tmp_path: Path, monkeypatch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    import ui.main_window as main_window

    monkeypatch.setattr(main_window, "demo_project_path", lambda: tmp_path / "demo" / "demo.rdp")
    win = main_window.MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.settle_pages()
    if win.project is not None:
        win.project.close()


UI_FOLDER = str(Path(__file__).resolve().parents[2] / "ui")


@pytest.fixture(autouse=True)
def no_writes_or_recomputation_on_the_ui_thread(monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Fail a GUI test in which the application's own code (a frame under ``ui/``) opens
    a write transaction or recomputes the ranking on the UI thread: that work belongs
    in a background operation (see docs/operations.md). The tests' own calls, made
    outside ``ui/``, are not counted."""
    from review_desk import ranking
    from review_desk.project import Project

    offences: list[str] = []

    def guard(owner: object, name: str) -> None:
        original = getattr(owner, name)

        def guarded(*args, **kwargs):  # type: ignore[no-untyped-def]
            if threading.get_ident() == threading.main_thread().ident:
                frame = sys._getframe(1)
                while frame is not None:
                    if frame.f_code.co_filename.startswith(UI_FOLDER):
                        offences.append(
                            f"{name} on the UI thread from {frame.f_code.co_filename}:"
                            f"{frame.f_lineno} ({frame.f_code.co_name})"
                        )
                        break
                    frame = frame.f_back
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, guarded)

    guard(Project, "transaction")
    guard(Project, "writing")
    guard(ranking, "compute")
    yield
    assert not offences, offences
