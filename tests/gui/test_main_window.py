"""The main window on the demo project: every page constructs and renders, roles choose
the pages, the start page offers the demo, and failures are reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QMessageBox

from ui.pages.base import Page
from ui.widgets.data_table import DataTable

ALL_PAGES = [
    "overview",
    "materials",
    "formal_review",
    "experts",
    "scoring",
    "defense",
    "ranking",
    "charts",
    "export",
    "publicity",
    "pilot",
    "recognition",
]


def test_a_chinese_font_is_installed(qapp) -> None:  # type: ignore[no-untyped-def]
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert families, "no font with Chinese glyphs: install one (e.g. fonts-noto-cjk)"


def test_start_page_offers_the_demo(window) -> None:  # type: ignore[no-untyped-def]
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.demo_button.isVisible()
    assert window.welcome.demo_button.text() == "打开演示项目"
    assert not window.navigation.isEnabled()


def test_every_page_renders_on_the_demo(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    dossiers = window.project.summary().dossiers
    assert window.visible_page_keys() == ALL_PAGES
    for key in ALL_PAGES:
        window.show_page(key)
        page = window.stack.currentWidget()
        assert isinstance(page, Page) and page.key == key
        image = window.grab().toImage()
        assert not image.isNull() and image.width() >= 1000
    assert window.pages["materials"].table.model.rowCount() == dossiers > 0
    window.pages["experts"].wait()  # it reads in the background
    assert window.pages["experts"].experts.model.rowCount() == 10
    assert window.pages["experts"].recusals.model.rowCount() >= 1
    assert window.pages["scoring"].table.model.rowCount() > 100
    overview = window.pages["overview"]
    assert overview.tiles["applicants"].value.text() == "40"
    assert "演示项目" in window.windowTitle()


def test_roles_choose_the_pages(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_project(str(demo_project))
    window.set_role("committee")
    # The committee opens the draws (experts page, its draws tab alone).
    assert window.visible_page_keys() == [
        "overview",
        "materials",
        "experts",
        "ranking",
        "charts",
        "export",
        "publicity",
        "pilot",
        "recognition",
    ]
    window.set_role("expert")
    assert window.visible_page_keys() == ["overview", "materials", "scoring", "defense"]
    assert window.current_page_key() in window.visible_page_keys()
    window.set_role("agency")
    assert window.visible_page_keys() == ALL_PAGES
    assert window.settings.role == "agency"


def test_search_filters_the_dossiers(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_project(str(demo_project))
    window.show_page("materials")
    table = window.pages["materials"].table
    table.search.setText("新能源")
    assert 0 < table.proxy.rowCount() < table.model.rowCount()
    assert "显示" in table.count_label.text()


def test_demo_is_built_in_the_background(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.project_opened, timeout=60_000):
        window.welcome.demo_button.click()
    window.wait()
    assert window.project is not None
    from review_desk.project import Project

    with Project(demo_project) as built_by_the_suite:
        assert window.project.summary().dossiers == built_by_the_suite.summary().dossiers
    assert window.settings.recent_projects[0].endswith("demo.rdp")


def test_a_bad_file_is_reported(window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "bad.rdp"
    bad.write_text("not a database", encoding="utf-8")
    assert not window.open_project(str(bad))
    assert shown and "bad.rdp" in shown[0] and "不是评审台项目文件" in shown[0]
    assert window.project is None


def test_recent_projects_and_close(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_project(str(demo_project))
    window.close_project()
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.recent.count() == 1
    assert window.recent_menu.actions()[0].text().endswith(str(demo_project))


@pytest.mark.slow
def test_screenshots_command(demo_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        REVIEW_DESK_SCREENSHOT_SETTLE_MS="20",  # every page rendered is what is checked
    )
    result = subprocess.run(
        [sys.executable, "-m", "ui", "gui", str(demo_project), "--screenshots", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.glob("*.png"))
    assert len(names) >= 1 + len(ALL_PAGES)  # pages, and their further tabs
    assert all((out / n).stat().st_size > 10_000 for n in names)


def test_screenshots_of_a_project_that_cannot_be_opened(tmp_path: Path) -> None:
    """Nobody is there to close a message box: one line on stderr and exit 2, at once."""
    missing = tmp_path / "不存在.rdp"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    result = subprocess.run(
        [sys.executable, "-m", "ui", "gui", str(missing), "--screenshots", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "不存在.rdp" in result.stderr and "Traceback" not in result.stderr


def test_keyboard_moves_between_pages(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    window.open_project(str(demo_project))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "experts"
    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_Down)
    assert window.current_page_key() == "scoring"


def test_window_state_is_kept(qtbot, qapp, settings) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(1111, 777)
    first.set_role("committee")
    geometry = first.saveGeometry()
    first.close()
    # The offscreen screen is 800x800, smaller than the window's minimum size, so Qt
    # clamps any restored size: check what was kept and that it is read back.
    assert settings.geometry == geometry
    restored: list[object] = []
    original = MainWindow.restoreGeometry

    def spy(self, data):  # type: ignore[no-untyped-def]
        restored.append(bytes(data))
        return original(self, data)

    MainWindow.restoreGeometry = spy  # type: ignore[method-assign]
    try:
        second = MainWindow(settings)
    finally:
        MainWindow.restoreGeometry = original  # type: ignore[method-assign]
    qtbot.addWidget(second)
    assert restored == [bytes(geometry)]
    assert second.role == "committee"


def test_cancelling_the_demo_build_leaves_nothing(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "cancelled" / "demo.rdp"
    target.parent.mkdir()
    operation = window.build_demo(target)
    operation.cancel()
    with qtbot.waitSignal(operation.cancelled, timeout=30_000):
        pass
    operation.wait()
    assert window.project is None
    assert list(target.parent.iterdir()) == []


def test_exchange_actions_follow_the_role(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_project(str(demo_project))
    window.set_role("expert")
    assert (
        window.actions_by_key["make_return"].isVisible()
        and not window.actions_by_key["import_returns"].isVisible()
    )
    window.set_role("agency")
    assert (
        window.actions_by_key["import_returns"].isVisible()
        and not window.actions_by_key["make_return"].isVisible()
    )


def test_import_report_lists_every_outcome(qtbot) -> None:  # type: ignore[no-untyped-def]
    from review_desk.exchange.return_package import ImportOutcome

    from ui.exchange_actions import ImportReport

    report = ImportReport(
        [
            ImportOutcome("a.rdreturn", "accepted", sheets=3),
            ImportOutcome("b.rdreturn", "refused", "签名不符", code="signature"),
        ]
    )
    qtbot.addWidget(report)
    table = report.findChild(DataTable)
    assert table.model.rowCount() == 2
    assert table.model.data(table.model.index(1, 1)) == "已拒绝"
