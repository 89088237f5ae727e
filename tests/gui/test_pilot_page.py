"""试点培育 as the agency and the committee use it. On a published demo without pilot
data: the pilot started in its dialog (the publication day offered), milestones
accepted from a real plan PDF (one unchecked), one added, one marked done, a real PDF
report uploaded and viewed, a note written, and the overdue list following each step.
On the demo's filled pilot year: a report takes a base off the silent list, a bad
milestone sheet is refused with its problems located and a good one imported, the
template written; the committee sees no write button. Before publication the pilot
cannot be started."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog

from review_desk import pilot
from review_desk.pilot_proposals import PlanProposals
from review_desk.project import Project
from review_desk.publicity import today
from tests.conftest import copy_project


@pytest.fixture(scope="module")
def published_source(demo_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo carried to a published list (8 March 2022), its pilot not started."""
    from review_desk.demo.pilot import publish_list
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        with Project(copy_project(demo_source, folder / "published.rdp")) as project:
            publish_list(project)

    return built_once(tmp_path_factory, "published-demo", build) / "published.rdp"


@pytest.fixture(scope="module")
def pilot_source(published_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published demo with its pilot year filled (review-desk demo --pilot)."""
    from review_desk.demo.pilot import fill_pilot_year
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        with Project(copy_project(published_source, folder / "pilot.rdp")) as project:
            fill_pilot_year(project)

    return built_once(tmp_path_factory, "pilot-demo", build) / "pilot.rdp"


def _page(window: Any, project: Path, role: str) -> Any:
    assert window.open_project(str(project))
    window.set_role(role)
    window.show_page("pilot")
    page = window.pages["pilot"]
    page.wait()  # the page reads in the background
    return page


def _accept(monkeypatch: pytest.MonkeyPatch, cls: type, fill: Any) -> None:
    def run(dialog: Any) -> int:
        fill(dialog)
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(cls, "exec", run)


def _report_pdf(folder: Path, base: Any) -> Path:
    from review_desk.demo.pilot import report_pdf

    day = today()
    file = folder / f"{base.status.code}_进展报告.pdf"
    row = base.status
    selected = pilot.Base(row.dossier_id, row.code, row.applicant, row.tier)
    covers = (day - timedelta(days=30), day)
    file.write_bytes(report_pdf(selected, 1, covers, ["本月完成设备调试。"]))
    return file


def _late_codes(page: Any) -> list[str]:
    return [page.late.model.row_at(i).code for i in range(page.late.model.rowCount())]


def _silent_codes(page: Any) -> list[str]:
    return [page.silent.model.row_at(i).code for i in range(page.silent.model.rowCount())]


def test_pilot_run_through_the_page(
    window, published_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.current_user import current_user
    from ui.dialogs import pilot_dialogs as dialogs

    project_path = copy_project(published_source, tmp_path / "published.rdp")
    page = _page(window, project_path, "agency")
    assert "试点尚未开始" in page.state.text() and "2022-03-08" in page.state.text()
    assert page.start_button.isVisible() and page.start_button.isEnabled()
    assert page.table.model.rowCount() == 0

    started = today() - timedelta(days=10)

    def start(dialog: Any) -> None:
        assert dialog.starts_on().isoformat() == "2022-03-08"  # the day of publication
        dialog.starts.setDate(started)

    _accept(monkeypatch, dialogs.StartPilotDialog, start)
    page.start_button.click()
    page.wait()
    assert "试点培育期" in page.state.text() and started.isoformat() in page.state.text()
    assert not page.start_button.isVisible()
    bases = page.table.model.rowCount()
    assert bases > 10
    assert _late_codes(page) == [] and _silent_codes(page) == []
    page.late_only.setChecked(True)
    assert page.table.proxy.rowCount() == 0
    page.late_only.setChecked(False)

    page.table.select_first()
    base = page.table.selected_row()
    seen: dict[str, int] = {}

    def choose(dialog: Any) -> None:
        seen["proposals"] = dialog.proposals.count()
        # The pilot started this year: the plan's 2022-2023 days come before it, so each
        # is marked and left unchecked; the agency checks the three that still apply.
        items = [dialog.proposals.item(i) for i in range(dialog.proposals.count())]
        assert all(item.checkState() == Qt.CheckState.Unchecked for item in items)
        assert all("早于试点开始日" in item.text() for item in items)
        assert not dialog.ok.isEnabled()
        for item in items[:-1]:
            item.setCheckState(Qt.CheckState.Checked)

    _accept(monkeypatch, dialogs.ProposalsDialog, choose)
    page.propose_button.click()
    page.wait()
    assert seen["proposals"] == 4  # the demo plan's four dated entries
    assert page.milestones.model.rowCount() == 3
    # The plan's days are in 2022-2023: all three are overdue now.
    assert _late_codes(page) == [base.status.code] * 3
    assert "逾期" in page.milestones.model.index(0, 2).data()
    page.late_only.setChecked(True)
    assert page.table.proxy.rowCount() == 1
    page.late_only.setChecked(False)

    def milestone(dialog: Any) -> None:
        assert not dialog.ok.isEnabled()
        dialog.title.setText("完成校企合作协议签订")
        dialog.due.setDate(today() + timedelta(days=30))

    _accept(monkeypatch, dialogs.MilestoneDialog, milestone)
    page.add_button.click()
    page.wait()
    assert page.milestones.model.rowCount() == 4
    assert len(_late_codes(page)) == 3

    page.milestones.select_where(lambda r: r.due_on < today())
    done_title = page.milestones.selected_row().title
    assert page.done_button.isEnabled()
    _accept(
        monkeypatch, dialogs.DoneDialog, lambda d: d.note.setPlainText("现场核验，设备已到位。")
    )
    page.done_button.click()
    page.wait()
    assert len(_late_codes(page)) == 2
    assert done_title not in [page.late.model.row_at(i).title for i in range(2)]

    report = _report_pdf(tmp_path, base)
    linked = page.milestones.model.row_at(0).id

    def upload(dialog: Any) -> None:
        assert not dialog.ok.isEnabled()  # no file yet
        dialog.file.setText(str(report))
        dialog.summary.setPlainText("设备安装调试完成")
        dialog.milestones.item(0).setCheckState(Qt.CheckState.Checked)

    _accept(monkeypatch, dialogs.ReportDialog, upload)
    page.detail_tabs.setCurrentIndex(1)
    page.report_button.click()
    page.wait()
    assert page.reports.model.rowCount() == 1
    page.reports.select_first()
    page.view_button.click()
    page.wait()
    assert page.viewer is not None and page.viewer.isVisible()
    page.viewer.close()

    _accept(monkeypatch, dialogs.NoteDialog, lambda d: d.text.setPlainText("已赴现场调研。"))
    page.detail_tabs.setCurrentIndex(2)
    page.note_button.click()
    page.wait()
    assert page.notes.model.rowCount() == 1
    assert page.notes.model.row_at(0).author == current_user()

    with Project(project_path) as project:
        history = pilot.base_history(project, base.status.dossier_id)
        assert project.verify_audit().intact
        stored = project.files.path_for(history.reports[0].sha256).read_bytes()
    assert sorted(x.source for x in history.milestones) == ["manual", "plan", "plan", "plan"]
    assert sum(x.status == "done" for x in history.milestones) == 1
    assert stored == report.read_bytes()
    assert history.reports[0].milestones == [linked]
    assert history.notes[0].text == "已赴现场调研。"


def test_pilot_year_of_the_demo(
    window, pilot_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import pilot_dialogs as dialogs

    project_path = copy_project(pilot_source, tmp_path / "pilot.rdp")
    page = _page(window, project_path, "agency")
    assert "2022-03-08 至 2023-03-08" in page.state.text()
    assert page.table.model.rowCount() > 10
    assert page.milestones.model.rowCount() == 4
    silent = _silent_codes(page)
    assert silent and len(_late_codes(page)) > 0

    # A double-click on the overdue list shows the base; a report today takes it off
    # the silent list.
    code = silent[-1]
    page.tabs.setCurrentIndex(1)
    page.silent.select_where(lambda r: r.code == code)
    page.silent.view.doubleClicked.emit(page.silent.view.currentIndex())
    assert page.tabs.currentIndex() == 0 and page.table.selected_row().status.code == code
    report = _report_pdf(tmp_path, page.table.selected_row())
    _accept(monkeypatch, dialogs.ReportDialog, lambda d: d.file.setText(str(report)))
    page.report_button.click()
    page.wait()
    assert code not in _silent_codes(page)
    assert page.table.selected_row().days_since == 0

    # A sheet with a bad row is refused whole, its problems located.
    before = page.milestones.model.rowCount()
    sheet = tmp_path / "节点表.xlsx"
    book = Workbook()
    book.active.append(["申报编号", "节点", "计划完成日期"])
    book.active.append([code, "完成二期场地建设", "2023-06-30"])
    book.active.append([code, "开发课程包", "明年春天"])
    book.save(sheet)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sheet), ""))
    shown: list[Any] = []
    monkeypatch.setattr(dialogs.ImportProblemsDialog, "exec", lambda d: shown.append(d) or 0)
    page.import_button.click()
    page.wait()
    assert len(shown) == 1
    issue = shown[0].table.model.row_at(0)
    assert (issue.row, issue.letter, issue.value) == (3, "C", "明年春天")
    assert page.milestones.model.rowCount() == before
    book.active["C3"] = "2023年9月"
    book.save(sheet)
    page.import_button.click()
    page.wait()
    assert len(shown) == 1
    assert page.milestones.model.rowCount() == before + 2

    template = tmp_path / "模板.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(template), ""))
    page.template_button.click()
    page.wait()
    codes = [c.value for c in load_workbook(template).active["A"]]
    assert code in codes

    # The committee reads the pilot year and writes nothing.
    window.set_role("committee")
    page.wait()
    for button in page._write_buttons():
        assert not button.isVisible()
    page.detail_tabs.setCurrentIndex(1)
    assert page.view_button.isVisible()
    assert page.table.model.rowCount() > 10 and page.reports.model.rowCount() >= 1


def test_no_pilot_before_publication(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(window, demo_project, "agency")
    assert "名单尚未正式发布" in page.state.text()
    assert not page.start_button.isEnabled()
    assert not page.add_button.isEnabled() and not page.import_button.isEnabled()


def test_proposals_dialog_says_why_nothing_is_proposed(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs.pilot_dialogs import ProposalsDialog

    reason = "实施方案为扫描件，没有文字层"
    dialog = ProposalsDialog("SX-01-0001", PlanProposals(1, reason=reason))
    qtbot.addWidget(dialog)
    assert dialog.intro.text() == reason
    assert not dialog.ok.isEnabled() and dialog.proposals.count() == 0
