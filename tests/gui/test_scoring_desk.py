"""The scoring desk, driven with the keyboard alone: a whole dossier scored, the opinion
written, and the sheet submitted; undo and redo; invalid values refused as typed. Saves
run in the background: a test waits for 已保存 before it reads the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from review_desk import scoring
from review_desk.project import Project
from tests.scoring.test_scoring import free_assignment


def _desk(window, demo_project: Path, qtbot):  # type: ignore[no-untyped-def]
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
    assert window.open_project(str(demo_project))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.set_role("expert")
    window.show_page("scoring")
    page = window.pages["scoring"]
    page.expert_box.setCurrentIndex(page.expert_box.findData(expert))
    assert page.assignments.select_where(lambda r: r.dossier_id == dossier)
    return page, expert, dossier


def _saved(form, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: form.status.text().startswith("已保存"))


def test_score_a_whole_dossier_with_the_keyboard(
    window, demo_project: Path, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    page, expert, dossier = _desk(window, demo_project, qtbot)
    form = page.form
    qtbot.waitUntil(lambda: page.viewer.page_count() > 0)  # the PDF is beside the form
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    edits = list(form.inputs.values())
    edits[0].setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edits[0])
    for edit in edits:
        assert QApplication.focusWidget() is edit
        maximum = form.rubric.criterion(edit.objectName().removeprefix("points_")).max
        qtbot.keyClicks(edit, f"{maximum - 1:g}")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is form.opinion  # Enter after the last criterion
    # Chinese arrives through the input method, as a committed string.
    typed = QInputMethodEvent()
    typed.setCommitString("建设基础扎实，目标明确，任务具体，经费预算合理，保障措施有力，" * 2)
    QApplication.sendEvent(form.opinion, typed)
    _saved(form, qtbot)
    qtbot.keyClick(form.opinion, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form.state.locked)
    with Project(demo_project) as project:
        state = scoring.load_sheet(project, expert, dossier)
    assert state.status == scoring.SUBMITTED
    assert len(state.scores) == len(edits)
    assert all(edit.isReadOnly() for edit in edits)
    qtbot.waitUntil(lambda: page.assignments.selected_row().status == "submitted")


def test_invalid_values_are_refused_as_typed_and_undo_works(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page, expert, dossier = _desk(window, demo_project, qtbot)
    form = page.form
    first, second = list(form.inputs.values())[:2]
    first.setFocus()
    qtbot.keyClicks(first, "10.3")
    assert "border" in first.styleSheet() and first.toolTip()
    qtbot.keyClick(first, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is first  # not moved on: the value is refused
    first.selectAll()
    qtbot.keyClicks(first, "7.5")
    assert first.styleSheet() == ""
    qtbot.keyClick(first, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is second
    _saved(form, qtbot)
    with Project(demo_project) as project:
        assert scoring.load_sheet(project, expert, dossier).scores == {"A1": 7.5}
    qtbot.keyClick(second, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    form.wait()
    with Project(demo_project) as project:
        assert scoring.load_sheet(project, expert, dossier).scores == {}
    assert first.text() == ""
    qtbot.keyClick(
        second,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    form.wait()
    with Project(demo_project) as project:
        assert scoring.load_sheet(project, expert, dossier).scores == {"A1": 7.5}
    assert first.text() == "7.5"
    assert "基础资料评审 7.5/" in form.totals.text()


def test_the_desk_offers_only_the_criteria_that_apply(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """An enterprise's dossier on the desk has no field for a criterion that applies to
    schools only, and a change for one, as the desk writes changes, is refused by the
    score-sheet service with nothing stored."""
    from sqlalchemy import select

    from review_desk.sheet_changes import SheetChange
    from review_desk.storage import models as m

    with Project(demo_project) as project, project.reading() as session:
        started = {(x.expert_id, x.dossier_id) for x in session.scalars(select(m.ScoreSheet))}
        expert, dossier = next(
            (a.expert_id, a.dossier_id)
            for a in session.scalars(select(m.Assignment).order_by(m.Assignment.id))
            if (a.expert_id, a.dossier_id) not in started
            and a.dossier.lead_applicant.kind == "enterprise"
        )
    assert window.open_project(str(demo_project))
    window.set_role("expert")
    window.show_page("scoring")
    page = window.pages["scoring"]
    page.expert_box.setCurrentIndex(page.expert_box.findData(expert))
    assert page.assignments.select_where(lambda r: r.dossier_id == dossier)
    form = page.form
    qtbot.waitUntil(lambda: bool(form.inputs))
    narrow = [c for c in form.rubric.criteria if not c.applies("enterprise")]
    assert narrow, "the default rubric has criteria for schools only"
    assert not {c.id for c in narrow} & set(form.inputs)
    assert {c.id for c in form.rubric.criteria if c.applies("enterprise")} == set(form.inputs)
    change = SheetChange(expert, dossier, "score", narrow[0].id, None, narrow[0].max)
    with Project(demo_project) as project:
        try:
            change.apply(project, actor=f"expert:{expert}")
        except scoring.ScoringError as refused:
            assert narrow[0].id in str(refused)
        else:
            raise AssertionError("a score for a criterion that does not apply was stored")
        assert scoring.load_sheet(project, expert, dossier).status == scoring.NOT_STARTED
