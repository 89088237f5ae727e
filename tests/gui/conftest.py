"""GUI fixtures: one QApplication for the session (pytest-qt), test-mode standard paths,
settings in a temporary file, and the demo project path redirected to a temp folder."""

from __future__ import annotations

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
