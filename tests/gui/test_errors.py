"""Errors in the window: unexpected ones are shown with "copy details" and logged (the
log's path in 帮助 › 关于); errors meant for the user go on the page's message bar."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from review_desk.errors import UserError


@pytest.fixture
def reporter(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Our hooks installed as the application installs them; dialogs recorded, not shown."""
    from ui import errors

    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "logs"))
    shown: list[tuple[str, str, Path | None, bool]] = []
    monkeypatch.setattr(
        errors,
        "show_dialog",
        lambda summary, details, log, *, expected=False: shown.append(
            (summary, details, log, expected)
        ),
    )
    errors.install()
    yield shown
    errors.uninstall()


def _fail_in_a_slot() -> None:
    raise ZeroDivisionError("a bug behind a button")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_the_event_loop_is_shown_and_logged(qtbot, reporter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    QTimer.singleShot(0, _fail_in_a_slot)
    qtbot.waitUntil(lambda: bool(reporter), timeout=5000)
    summary, details, log, expected = reporter[0]
    assert summary == "ZeroDivisionError: a bug behind a button" and not expected
    assert log == tmp_path / "logs" / "review-desk.log"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "_fail_in_a_slot" in text
    assert "_fail_in_a_slot" in details


@pytest.mark.qt_no_exception_capture
def test_an_error_that_ends_a_worker_thread_is_shown_on_the_main_thread(
    qtbot, reporter, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    def work() -> None:
        raise RuntimeError("the worker broke")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(reporter), timeout=5000)
    assert reporter[0][0] == "RuntimeError: the worker broke"
    assert "the worker broke" in (tmp_path / "logs" / "review-desk.log").read_text("utf-8")


@pytest.mark.qt_no_exception_capture
def test_an_error_meant_for_the_user_is_shown_without_a_log(
    qtbot, reporter, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    def refuse() -> None:
        raise UserError("这份申报已经定稿，不能修改。")

    QTimer.singleShot(0, refuse)
    qtbot.waitUntil(lambda: bool(reporter), timeout=5000)
    assert reporter[0][0] == "这份申报已经定稿，不能修改。" and reporter[0][3]
    assert not (tmp_path / "logs").exists()


def test_the_dialog_copies_its_details(qtbot, qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.errors import ErrorDialog

    log = tmp_path / "review-desk.log"
    dialog = ErrorDialog("KeyError: 'x'", "Traceback (most recent call last):\n  ...", log)
    qtbot.addWidget(dialog)
    assert dialog.copy_button.text() == "复制详细信息"
    assert str(log) in dialog.log_label.text()
    dialog.copy_button.click()
    assert QApplication.clipboard().text().startswith("Traceback (most recent call last)")


def test_about_shows_where_the_log_is(window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REVIEW_DESK_LOG_DIR", str(tmp_path / "日志"))
    texts: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: texts.append(text))
    window.show_about()
    assert str(tmp_path / "日志" / "review-desk.log") in texts[0]


def test_the_message_bar_shows_and_closes(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    window.show_page("experts")
    page = window.pages["experts"]
    bar = page.message_bar
    assert bar.isHidden()
    page.show_error(FileNotFoundError(2, "No such file or directory", "/nowhere/名单.xlsx"))
    assert not bar.isHidden() and bar.level == "error"
    assert bar.label.text() == "找不到文件：/nowhere/名单.xlsx"
    bar.close_button.click()
    assert bar.isHidden()
    page.show_message("已导入 3 位专家。", "info")
    assert bar.level == "info" and not bar.isHidden()
    window.set_project(window.project, str(demo_project))  # another project: a clean page
    assert bar.isHidden()
