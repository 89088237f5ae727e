"""The defense page (答辩与考察) on a small project with one panel and one dossier: a
session's details and countdown limits, a defense record edited and its questions
added, a new session from the dialog, and an inspection record saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDialog

from review_desk import defense
from review_desk.formatting import CHINA_TZ
from review_desk.project import Project
from tests.panel_project import PanelProject, copy_panel_project, panel_project_once

from ui.pages import defense as defense_page
from ui.pages.defense import DefensePage

STARTS = datetime(2026, 6, 3, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="module")
def panel_source(tmp_path_factory: pytest.TempPathFactory) -> PanelProject:
    return panel_project_once(tmp_path_factory)


@pytest.fixture
def made(panel_source: PanelProject, tmp_path: Path) -> PanelProject:
    return copy_panel_project(panel_source, tmp_path)


@pytest.fixture
def project(made: PanelProject) -> Iterator[Project]:
    opened = Project(made.path)
    yield opened
    opened.close()


@pytest.fixture
def page(qtbot, qapp, project: Project) -> DefensePage:  # type: ignore[no-untyped-def]
    shown = DefensePage()
    qtbot.addWidget(shown)
    shown.resize(1200, 800)
    shown.show()
    return shown


def _with_session(project: Project, made: PanelProject) -> int:
    return defense.create_session(
        project,
        name="第一场",
        starts_at=STARTS,
        mode="hybrid",
        dossier_ids=[made.dossier_id],
        platform="腾讯会议",
        meeting_id="123 456 789",
        room="301 会议室",
        presentation_minutes=12,
        qa_minutes=8,
        panel_id=made.panel_id,
    )


def _record(project: Project) -> defense.RecordRow:
    (session,) = defense.sessions(project)
    (record,) = session.records
    return record


def test_a_session_shows_its_place_limits_and_dossiers(
    page: DefensePage, project: Project, made: PanelProject, qtbot
) -> None:  # type: ignore[no-untyped-def]
    _with_session(project, made)
    page.set_project(project)
    qtbot.waitUntil(lambda: page.records.model.rowCount() == 1)
    assert page.session_table.model.rowCount() == 1
    assert "腾讯会议 123 456 789" in page.session_info.text()
    assert "301 会议室" in page.session_info.text()
    assert page.countdown.limits == {"presentation": 12 * 60, "qa": 8 * 60}
    qtbot.waitUntil(lambda: page._record is not None)
    assert page._record.code == made.dossier_code


def test_a_record_is_saved_with_its_questions(
    page: DefensePage, project: Project, made: PanelProject, qtbot
) -> None:  # type: ignore[no-untyped-def]
    _with_session(project, made)
    page.set_project(project)
    qtbot.waitUntil(lambda: page._record is not None)
    page.attendees.setText("张三（总经理）")
    page.length.setValue(11.5)
    page.notes.setPlainText("答辩清楚。")
    page.asker.setText("钱学文")
    page.question.setText("运营经费从哪里来？")
    page.answer.setText("企业自筹。")
    page.add_button.click()  # adds the question and saves the record (in the background)
    page.wait()
    qtbot.waitUntil(lambda: _record(project).questions != ())
    record = _record(project)
    assert record.questions == (
        defense.DefenseQuestion("钱学文", "运营经费从哪里来？", "企业自筹。"),
    )
    assert (record.attendees, record.presentation_minutes, record.notes) == (
        "张三（总经理）",
        11.5,
        "答辩清楚。",
    )
    assert page.question.text() == "" and page.answer.text() == ""
    assert page.questions.model.rowCount() == 1
    # A question without its text is not added.
    page.question.setText("  ")
    page.add_button.click()
    assert page.questions.model.rowCount() == 1


def test_saving_a_record_keeps_an_unrecorded_length_unrecorded(
    page: DefensePage, project: Project, made: PanelProject, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """Saving the attendees alone does not record a presentation of 0 minutes."""
    _with_session(project, made)
    page.set_project(project)
    qtbot.waitUntil(lambda: page._record is not None)
    page.attendees.setText("张三")
    page.save_button.click()
    page.wait()
    qtbot.waitUntil(lambda: _record(project).attendees == "张三")
    assert _record(project).presentation_minutes is None


def test_a_new_session_hears_the_panel_s_dossiers(
    page: DefensePage, project: Project, made: PanelProject, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    def fill_and_accept(dialog: defense_page.SessionDialog) -> int:
        dialog.name.setText("第二场")
        dialog.starts.setDateTime(QDateTime(STARTS.replace(tzinfo=None)))
        dialog.meeting_id.setText("987 654 321")
        dialog.room.setText("302 会议室")
        dialog.panel.setCurrentIndex(dialog.panel.findData(made.panel_id))
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(defense_page.SessionDialog, "exec", fill_and_accept)
    page.set_project(project)
    page.set_role("agency")
    assert not page.new_button.isHidden()
    page.new_button.click()
    qtbot.waitUntil(lambda: page.session_table.model.rowCount() == 1)
    (session,) = defense.sessions(project)
    assert (session.name, session.mode, session.room) == ("第二场", "hybrid", "302 会议室")
    assert session.starts_at == STARTS
    assert [r.dossier_id for r in session.records] == [made.dossier_id]
    page.set_role("expert")
    assert page.new_button.isHidden()


def test_a_session_needs_a_panel(page: DefensePage, project: Project, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def without_panel(dialog: defense_page.SessionDialog) -> int:
        dialog.name.setText("无专家组")
        dialog.meeting_id.setText("1")
        dialog.room.setText("1")
        dialog.panel.setCurrentIndex(-1)
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(defense_page.SessionDialog, "exec", without_panel)
    page.set_project(project)
    page.new_button.click()
    qtbot.waitUntil(lambda: page.message_bar.isVisible())
    assert defense.sessions(project) == []


def test_an_inspection_record_is_saved(
    page: DefensePage, project: Project, made: PanelProject, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page.set_project(project)
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.inspections.selected_row() is not None)
    when = datetime(2026, 6, 10, 15, 30)
    page.inspected_at.setDateTime(QDateTime(when))
    page.site.setText("太原市小店区")
    page.shown.setPlainText("实训车间")
    page.findings.setPlainText("设备齐全")
    page.inspection_save.click()
    page.wait()
    qtbot.waitUntil(lambda: bool(defense.inspections(project, recorded_only=True)))
    (row,) = defense.inspections(project, recorded_only=True)
    assert row.inspected_at == when.replace(tzinfo=CHINA_TZ)
    assert (row.site, row.shown, row.findings) == ("太原市小店区", "实训车间", "设备齐全")
    assert page.inspections.selected_row().inspected_at == row.inspected_at


def test_a_question_needs_a_record_to_go_to(page: DefensePage, project: Project, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With no session (so no record selected), a typed question is not shown as if it
    had been added: it would be lost."""
    page.set_project(project)
    page.question.setText("运营经费从哪里来？")
    page.add_button.click()
    assert page.questions.model.rowCount() == 0
    assert page.question.text() == "运营经费从哪里来？"  # kept, not cleared


def test_an_uninspected_dossier_does_not_show_another_s_time(
    page: DefensePage, project: Project, made: PanelProject, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page.set_project(project)
    qtbot.waitUntil(lambda: page.inspections.selected_row() is not None)
    page.inspected_at.setDateTime(QDateTime(datetime(2001, 1, 1, 8, 0)))
    page.site.setText("上一家的地点")
    page.show_inspection(page.inspections.selected_row())  # no record yet
    assert page.inspected_at.dateTime().date().year() != 2001
    assert page.site.text() == ""


def test_another_project_does_not_keep_the_last_record(
    page: DefensePage,
    project: Project,
    made: PanelProject,
    panel_source: PanelProject,
    qtbot,
    tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    """After switching to a project without sessions, the editor is empty and saving
    writes nothing (not the last project's record id into this one)."""
    _with_session(project, made)
    defense.update_record(project, _record(project).id, attendees="张三")
    page.set_project(project)
    qtbot.waitUntil(lambda: page.attendees.text() == "张三")
    (tmp_path / "other").mkdir()
    other_copy = copy_panel_project(panel_source, tmp_path / "other")
    with Project(other_copy.path) as other:
        page.set_project(other)
        qtbot.waitUntil(lambda: page.attendees.text() == "")
        page.attendees.setText("李四")
        page.save_button.click()
        assert not page.message_bar.isVisible()
        assert defense.sessions(other) == []


def test_defense_writes_run_off_the_ui_thread_and_are_announced(
    page: DefensePage, project: Project, made: PanelProject, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Saving a record is a background operation: the write does not run on the UI
    thread, and the other pages hear that the defense records changed."""
    import threading

    from review_desk.changes import Changes

    _with_session(project, made)
    page.set_project(project)
    qtbot.waitUntil(lambda: page._record is not None)
    threads: list[bool] = []
    update = defense.update_record

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident() == threading.main_thread().ident)
        return update(*args, **kwargs)

    monkeypatch.setattr(defense, "update_record", recording)
    page.attendees.setText("王五")
    with qtbot.waitSignal(page.changed, timeout=10_000) as announced:
        page.save_button.click()
    page.wait()
    assert threads == [False]
    assert announced.args == [Changes(defense=True)]
    assert _record(project).attendees == "王五"
