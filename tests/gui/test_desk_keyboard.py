"""The scoring desk as an expert uses it: at the window's default size, with the
keyboard, in the expert role. Text is saved like a text editor saves it (after a pause,
on focus-out, on switching dossier and on close; one save and one undo step per editing
burst), saves never claim success they did not have, and the desk's lists and keys
behave as the keyboard user expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from PySide6.QtCore import QElapsedTimer, QPoint, QRect, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from review_desk import scoring
from review_desk.project import Project
from review_desk.queries import expert_assignments
from review_desk.sheet_changes import SheetChange
from review_desk.storage import models as m

from ui.main_window import DEFAULT_SIZE, MainWindow

SAVED = "已保存"
OPINION = "建设基础扎实，目标明确，任务具体，经费预算合理，保障措施有力。" * 3


# ------------------------------------------------------------------ helpers
def _open_desk(window, project_path: Path, qtbot, expert: int, dossier: int | None = None):  # type: ignore[no-untyped-def]
    window.resize(*DEFAULT_SIZE)
    assert window.open_project(str(project_path))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.set_role("expert")
    window.show_page("scoring")
    page = window.pages["scoring"]
    page.expert_box.setCurrentIndex(page.expert_box.findData(expert))
    if dossier is not None:
        assert page.assignments.select_where(lambda r: r.dossier_id == dossier)
    qtbot.waitUntil(lambda: page.form.state is not None)
    return page


def _rows(project_path: Path, expert: int):  # type: ignore[no-untyped-def]
    with Project(project_path) as project:
        return expert_assignments(project, expert)


def _first(project_path: Path, expert: int, status: str) -> int:
    return next(r.dossier_id for r in _rows(project_path, expert) if r.status == status)


def _sheet(project_path: Path, expert: int, dossier: int) -> scoring.SheetState:
    with Project(project_path) as project:
        return scoring.load_sheet(project, expert, dossier)


def _audit_count(project_path: Path, field: str) -> int:
    """Audit entries that changed ``field`` ('opinion', 'comment', 'veto', 'score')."""
    count = 0
    with Project(project_path) as project, project.reading() as session:
        for entry in session.scalars(select(m.AuditLog)):
            changes = (entry.after or {}).get("changes") or []
            if field in entry.action or any(c.get("field") == field for c in changes):
                count += 1
    return count


def _in_view(form, widget: QWidget) -> bool:  # type: ignore[no-untyped-def]
    """Whether the whole widget lies inside the criteria area's visible viewport."""
    viewport = form.criteria_scroll.viewport()
    if not widget.isVisible() or not viewport.isVisible():
        return False
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return viewport.rect().contains(rect)


def _in_window(widget: QWidget) -> bool:
    window = widget.window()
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    return widget.isVisible() and window.rect().contains(rect)


def _shows_fully(label: QLabel) -> bool:
    """Whether a label's whole text fits in the space it has (no cut-off text)."""
    metrics = label.fontMetrics()
    flags = Qt.TextFlag.TextWordWrap if label.wordWrap() else Qt.TextFlag.TextSingleLine
    needed = metrics.boundingRect(QRect(0, 0, label.width(), 100_000), flags, label.text())
    return (
        _in_window(label) and needed.width() <= label.width() and needed.height() <= label.height()
    )


def _ime(widget: QWidget, text: str) -> None:
    """Type Chinese as it arrives: a string committed by the input method."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def short_pause(monkeypatch):  # type: ignore[no-untyped-def]
    """A 200 ms pause ends a burst (1 s in the product), for tests about what a burst
    saves rather than how long the pause is: the real pause and the one-second bound
    are kept in test_typing_without_a_pause_... and tests/gui/test_desk_kill.py."""
    from ui.widgets import sheet_saves

    monkeypatch.setattr(sheet_saves, "PAUSE_MS", 200)
    return monkeypatch


def _wait_saved(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: form.status.text().startswith(SAVED), timeout=5000)


# ------------------------------------------------ the whole sheet by keyboard
def test_whole_sheet_by_keyboard_at_the_default_size(
    window, demo_project: Path, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    assert (window.width(), window.height()) == DEFAULT_SIZE
    form = page.form
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    # Enter on the row sends the keyboard into the form, at the first criterion.
    page.assignments.view.setFocus()
    qtbot.keyClick(page.assignments.view, Qt.Key.Key_Return)
    edits = list(form.inputs.values())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edits[0])
    assert form.criteria_scroll.viewport().height() > 3 * edits[0].height()
    typed: dict[str, float] = {}
    for edit in edits:
        assert QApplication.focusWidget() is edit
        assert _in_view(form, edit), f"{edit.objectName()} is out of view"
        criterion = form.rubric.criterion(edit.objectName().removeprefix("points_"))
        value = criterion.max - criterion.step
        qtbot.keyClicks(edit, f"{value:g}")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        typed[criterion.id] = value
        _wait_saved(form, qtbot)
    assert QApplication.focusWidget() is form.opinion  # Enter after the last criterion
    assert _in_window(form.opinion)
    _ime(form.opinion, OPINION)
    assert _in_window(form.submit_button)
    qtbot.keyClick(form.opinion, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form.state is not None and form.state.locked)
    state = _sheet(demo_project, expert, dossier)
    assert state.status == scoring.SUBMITTED
    assert state.scores == typed
    assert state.opinion == OPINION
    qtbot.waitUntil(lambda: page.assignments.selected_row().status == "submitted")


def test_a_refused_value_stays_in_view_with_its_whole_message(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    page = _open_desk(window, demo_project, qtbot, expert, _first(demo_project, expert, "draft"))
    form = page.form
    edits = list(form.inputs.values())
    last = edits[-1]
    last.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is last)
    assert _in_view(form, last)
    last.selectAll()
    qtbot.keyClicks(last, "99")
    qtbot.keyClick(last, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is last  # refused: not moved on
    assert _in_view(form, last)
    message = form.problem
    assert "99" in message.text() or "超出" in message.text()
    assert _shows_fully(message), message.text()


def test_enter_shows_saved(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    page = _open_desk(window, demo_project, qtbot, expert, _first(demo_project, expert, "draft"))
    form = page.form
    first = next(iter(form.inputs.values()))
    first.setFocus()
    first.selectAll()
    qtbot.keyClicks(first, "1")
    qtbot.keyClick(first, Qt.Key.Key_Return)
    _wait_saved(form, qtbot)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not first)
    assert form.status.text().startswith(SAVED)  # not wiped by the editing-finished echo


# ------------------------------------------------------- text saved in bursts
def test_opinion_saved_once_per_burst_after_a_pause(
    window, demo_project: Path, qtbot, short_pause
) -> None:  # type: ignore[no-untyped-def]
    from ui.widgets import sheet_saves

    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    form.opinion.setFocus()
    before = _audit_count(demo_project, "opinion")
    qtbot.keyClicks(form.opinion, "OK: ")
    _ime(form.opinion, "材料齐全")
    assert not form.status.text().startswith(SAVED)  # nothing claimed before the save
    assert _audit_count(demo_project, "opinion") == before  # not one write per key
    _wait_saved(form, qtbot)  # the pause
    assert _audit_count(demo_project, "opinion") == before + 1
    assert _sheet(demo_project, expert, dossier).opinion == "OK: 材料齐全"
    # No pause ends this burst: only the focus-out can save it.
    short_pause.setattr(sheet_saves, "PAUSE_MS", 60_000)
    short_pause.setattr(sheet_saves, "MAX_UNSAVED_MS", 60_000)
    _ime(form.opinion, "，目标明确")
    first_input = next(iter(form.inputs.values()))
    first_input.setFocus()  # focus-out ends the burst at once
    qtbot.waitUntil(
        lambda: _sheet(demo_project, expert, dossier).opinion == "OK: 材料齐全，目标明确"
    )
    _wait_saved(form, qtbot)
    assert _audit_count(demo_project, "opinion") == before + 2


def test_undo_in_the_opinion_undoes_the_last_burst(
    window, demo_project: Path, qtbot, short_pause
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    assert not form.undo_button.isEnabled() and not form.redo_button.isEnabled()
    form.opinion.setFocus()
    _ime(form.opinion, "第一段")
    _wait_saved(form, qtbot)
    _ime(form.opinion, "第二段")
    # Ctrl+Z at once, while the burst is still open: the burst is the step undone.
    qtbot.keyClick(form.opinion, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.opinion.toPlainText() == "第一段"
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "第一段")
    qtbot.keyClick(form.opinion, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.opinion.toPlainText() == ""
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "")
    qtbot.keyClick(
        form.opinion,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert form.opinion.toPlainText() == "第一段"
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "第一段")
    _wait_saved(form, qtbot)


def test_typing_without_a_pause_is_saved_every_second_and_undone_as_one_step(
    window, demo_project: Path, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.widgets import sheet_saves

    monkeypatch.setattr(sheet_saves, "PAUSE_MS", 60_000)  # an expert who never pauses
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    form.opinion.setFocus()
    before = _audit_count(demo_project, "opinion")
    clock = QElapsedTimer()
    clock.start()
    _ime(form.opinion, "第一句")
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "第一句")
    assert clock.elapsed() < 3000  # the one-second bound, not the (patched) pause
    _ime(form.opinion, "第二句")
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "第一句第二句")
    assert _audit_count(demo_project, "opinion") == before + 2
    # One burst of typing, however many saves: one undo step.
    qtbot.keyClick(form.opinion, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.opinion.toPlainText() == ""
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "")
    _wait_saved(form, qtbot)


def test_comment_and_veto_reason_are_saved_in_bursts(
    window, demo_project: Path, qtbot, short_pause
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    first = next(iter(form.inputs.values()))
    first.setFocus()
    form.comment.setFocus()
    comments = _audit_count(demo_project, "comment")
    _ime(form.comment, "依据充分")
    assert _audit_count(demo_project, "comment") == comments
    _wait_saved(form, qtbot)
    assert _audit_count(demo_project, "comment") == comments + 1
    criterion = first.objectName().removeprefix("points_")
    assert _sheet(demo_project, expert, dossier).comments == {criterion: "依据充分"}
    form.veto_toggle.setChecked(True)
    veto_id, (box, reason) = next(iter(form.veto_boxes.items()))
    box.setChecked(True)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is reason)
    _wait_saved(form, qtbot)
    vetoes = _audit_count(demo_project, "veto")
    _ime(reason, "存在违规")
    assert _audit_count(demo_project, "veto") == vetoes
    _wait_saved(form, qtbot)
    assert _audit_count(demo_project, "veto") == vetoes + 1
    assert _sheet(demo_project, expert, dossier).vetoes == {veto_id: "存在违规"}


def test_switching_dossier_saves_the_text_being_typed(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    form.opinion.setFocus()
    _ime(form.opinion, "尚未停顿")
    other = next(r for r in _rows(demo_project, expert) if r.dossier_id != dossier)
    assert page.assignments.select_where(lambda r: r.dossier_id == other.dossier_id)
    qtbot.waitUntil(lambda: form.state.dossier_id == other.dossier_id)
    qtbot.waitUntil(lambda: _sheet(demo_project, expert, dossier).opinion == "尚未停顿")
    # Back again: the text is there, with one save for the burst.
    assert page.assignments.select_where(lambda r: r.dossier_id == dossier)
    qtbot.waitUntil(lambda: form.opinion.toPlainText() == "尚未停顿")


def test_switching_dossier_never_writes_one_sheet_into_another(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    rows = _rows(demo_project, expert)
    before = {r.dossier_id: _sheet(demo_project, expert, r.dossier_id) for r in rows}
    draft = _first(demo_project, expert, "draft")
    fresh = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, draft)
    form = page.form
    first_id, *_others = form.inputs
    edits = list(form.inputs.values())
    edits[0].setFocus()
    edits[0].selectAll()
    qtbot.keyClicks(edits[0], "1")
    qtbot.keyClick(edits[0], Qt.Key.Key_Return)  # the keyboard is still in the form
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edits[1])
    assert page.assignments.select_where(lambda r: r.dossier_id == fresh)
    qtbot.waitUntil(lambda: form.state.dossier_id == fresh)
    form.wait()
    assert all(not edit.text() for edit in form.inputs.values())
    assert not form.undo_stack.canUndo()
    for row in rows:
        after = _sheet(demo_project, expert, row.dossier_id)
        expected = dict(before[row.dossier_id].scores)
        if row.dossier_id == draft:
            expected[first_id] = 1.0
        assert after.scores == expected, row.dossier_code


def test_closing_the_window_saves_the_text_being_typed(
    qtbot, qapp, settings, demo_project: Path
) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    page.form.opinion.setFocus()
    _ime(page.form.opinion, "关窗之前")
    window.close()
    assert window.project is None or not page.form.has_unsaved()
    assert _sheet(demo_project, expert, dossier).opinion == "关窗之前"


def test_a_failed_save_is_shown_and_retried_without_losing_the_text(
    window, demo_project: Path, qtbot, monkeypatch, short_pause
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    dossier = _first(demo_project, expert, "not_started")
    page = _open_desk(window, demo_project, qtbot, expert, dossier)
    form = page.form
    original = SheetChange.apply
    failures = {"left": 1}

    def flaky(self, project, actor=""):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("disk I/O error")
        return original(self, project, actor)

    monkeypatch.setattr(SheetChange, "apply", flaky)
    form.opinion.setFocus()
    _ime(form.opinion, "不能丢")
    qtbot.waitUntil(lambda: "disk I/O error" in form.status.text(), timeout=5000)
    assert not form.status.text().startswith(SAVED)
    assert form.opinion.toPlainText() == "不能丢"
    assert form.has_unsaved()
    assert _sheet(demo_project, expert, dossier).opinion == ""
    first = next(iter(form.inputs.values()))
    first.setFocus()  # focus-out retries
    _wait_saved(form, qtbot)
    assert _sheet(demo_project, expert, dossier).opinion == "不能丢"
    assert not form.has_unsaved()


# ----------------------------------------------------------- the desk's parts
def test_the_list_shows_code_and_status_at_the_default_size(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page = _open_desk(window, demo_project, qtbot, 1)
    view = page.assignments.view
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: view.viewport().width() > 0)
    for column in (0, 1):
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0
        assert right <= view.viewport().width(), f"column {column} is cut"
        text = view.model().index(0, column).data()
        assert header.sectionSize(column) >= view.fontMetrics().horizontalAdvance(text)
    assert view.model().headerData(2, Qt.Orientation.Horizontal) == "牵头申报主体"


def test_tab_leaves_the_list_and_arrows_keep_the_focus_in_it(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    page = _open_desk(window, demo_project, qtbot, expert)
    view = page.assignments.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    start = view.currentIndex().row()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert QApplication.focusWidget() is view
    assert view.currentIndex().row() == start + 2
    assert page.form.state.dossier_id == page.assignments.selected_row().dossier_id
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is not view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert QApplication.focusWidget() in page.form.inputs.values()


def test_status_is_reset_on_load_and_never_widens_the_form(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    page = _open_desk(
        window, demo_project, qtbot, expert, _first(demo_project, expert, "submitted")
    )
    form = page.form
    assert form.status.text() == "已提交：评分表已锁定。"
    assert page.assignments.select_where(
        lambda r: r.dossier_id == _first(demo_project, expert, "not_started")
    )
    qtbot.waitUntil(lambda: not form.state.locked)
    assert form.status.text() == ""
    form.status.setText("很长的状态" * 40)
    buttons = (form.submit_button, form.undo_button, form.redo_button, form.print_button)

    def laid_out() -> bool:
        return (
            all(b.width() >= b.sizeHint().width() for b in buttons)
            and _in_window(form.submit_button)
            and _shows_fully(form.status)
        )

    # The layout follows the long text once its request is handled: wait for that.
    qtbot.waitUntil(laid_out)


def test_undo_and_redo_start_disabled(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    expert = 1
    page = _open_desk(window, demo_project, qtbot, expert, _first(demo_project, expert, "draft"))
    form = page.form
    assert not form.undo_button.isEnabled() and not form.redo_button.isEnabled()
    first = next(iter(form.inputs.values()))
    first.setFocus()
    first.selectAll()
    qtbot.keyClicks(first, "1")
    qtbot.keyClick(first, Qt.Key.Key_Return)
    assert form.undo_button.isEnabled() and not form.redo_button.isEnabled()
    assert page.assignments.select_where(
        lambda r: r.dossier_id == _first(demo_project, expert, "not_started")
    )
    qtbot.waitUntil(lambda: not form.undo_button.isEnabled())
    assert not form.redo_button.isEnabled()
    _wait_saved(form, qtbot)


def test_the_chosen_expert_is_remembered_per_project(
    qtbot, qapp, settings, demo_project: Path
) -> None:  # type: ignore[no-untyped-def]
    with Project(demo_project) as project:
        assert settings.desk_expert(project.url) is None  # a fresh settings file
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    page = _open_desk(first, demo_project, qtbot, 3)
    assert page.expert_id() == 3
    with Project(demo_project) as project:
        assert settings.desk_expert(project.url) == 3  # kept in the window's settings
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    assert second.open_project(str(demo_project))
    second.set_role("expert")
    second.show_page("scoring")
    assert second.pages["scoring"].expert_id() == 3
    second.close()


@pytest.mark.parametrize("role", ["expert", "agency"])
def test_page_keys_are_the_same_whatever_the_role(
    window, demo_project: Path, qtbot, role: str
) -> None:  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    window.set_role(role)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "scoring"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "overview"
    tips = {
        window.navigation.item(i).data(Qt.ItemDataRole.UserRole): window.navigation.item(
            i
        ).toolTip()
        for i in range(window.navigation.count())
    }
    assert "Ctrl+5" in tips["scoring"] and "Ctrl+6" in tips["defense"]
    if role == "expert":
        # A page the role does not see: its key does nothing.
        qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert window.current_page_key() == "overview"


@pytest.mark.parametrize("role", ["expert", "agency"])
def test_the_audit_names_who_sat_at_the_desk(window, demo_project: Path, qtbot, role: str) -> None:  # type: ignore[no-untyped-def]
    """An expert's own edits are the expert's; an agency operator entering an expert's
    paper sheet is recorded as the operator, on that expert's behalf."""
    from ui.current_user import current_user

    expert = 1
    page = _open_desk(
        window, demo_project, qtbot, expert, _first(demo_project, expert, "not_started")
    )
    window.set_role(role)
    page.open_assignment(page.assignments.selected_row())
    edit = next(iter(page.form.inputs.values()))
    edit.setFocus()
    qtbot.keyClicks(edit, "1")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    _wait_saved(page.form, qtbot)
    with Project(demo_project) as project, project.reading() as s:
        entry = s.scalars(
            select(m.AuditLog)
            .where(m.AuditLog.action == "sheet.change")
            .order_by(m.AuditLog.id.desc())
        ).first()
    assert entry is not None
    if role == "expert":
        assert entry.actor == f"expert:{expert}" and "on_behalf_of" not in entry.after
    else:
        assert entry.actor == current_user()
        assert entry.after["on_behalf_of"] == f"expert:{expert}"
