"""What an operation changed reaches every page: the window delivers it, each page
decides whether to read the project again; decisions and reviews are written off the
UI thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from PySide6.QtWidgets import QDialog


def _on_ui_thread() -> bool:
    # get_ident(), not current_thread(): that would register a dummy Python thread for
    # the QThread, which the leftover-thread guard would then count.
    return threading.get_ident() == threading.main_thread().ident


def test_the_window_delivers_changes_to_every_loaded_page(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes
    from review_desk.project import Project

    project = Project.create(tmp_path / "p.rdp", name="测试")
    window.set_project(project, str(tmp_path / "p.rdp"))
    window.set_role("agency")
    for key in ("overview", "experts", "defense"):
        window.show_page(key)
    window.page("charts")  # built, never shown: nothing to deliver to
    calls: list[tuple[str, object, object]] = []
    for key, page in window.pages.items():
        page.on_changes = lambda c, s, k=key: calls.append((k, c, s))  # type: ignore[method-assign]
    experts = window.pages["experts"]
    experts.changed.emit(Changes(experts=True))
    assert sorted(k for k, _c, _s in calls) == ["defense", "experts", "overview"]
    assert all(c == Changes(experts=True) and s is experts for _k, c, s in calls)


def test_an_adjustment_shows_in_the_charts_at_once(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from review_desk import ranking_decisions

    from ui.pages import ranking as ranking_page

    assert window.open_project(str(demo_project))
    window.set_role("committee")
    window.show_page("charts")
    charts = window.pages["charts"]
    charts.wait()
    window.show_page("ranking")
    page = window.pages["ranking"]
    page.wait()
    assert page.table.select_where(lambda r: r.tier == "municipal")
    dossier_id = page.table.selected_row().dossier_id

    def tier_in_charts() -> str:
        table = charts.data.table
        return str(table[table["dossier_id"] == dossier_id].iloc[0]["adjusted_tier"])

    assert tier_in_charts() == "municipal"

    def accept(dialog):  # type: ignore[no-untyped-def]
        dialog.tier.setCurrentIndex(dialog.tier.findData("provincial"))
        dialog.text.setPlainText("联席会议认定其示范作用突出")
        return QDialog.DialogCode.Accepted

    threads: list[bool] = []
    adjust = ranking_decisions.adjust

    def recording_adjust(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(_on_ui_thread())
        return adjust(*args, **kwargs)

    monkeypatch.setattr(ranking_page.ReasonDialog, "exec", accept)
    monkeypatch.setattr(ranking_decisions, "adjust", recording_adjust)
    page.adjust()
    page.wait()
    assert threads == [False]  # the decision (a recomputation) ran off the UI thread
    assert page.table.selected_row().adjusted_tier == "provincial"
    # The finalised hash did not change (there is none): only the change says so.
    window.show_page("charts")
    charts.wait()
    assert tier_in_charts() == "provincial"


def test_the_formal_review_page_reviews_new_dossiers_off_the_ui_thread(
    window, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from review_desk import formal_review
    from tests.small_project import make_project

    project = make_project(tmp_path, capsys, review=False)
    threads: list[bool] = []
    run_review = formal_review.run_review

    def recording_review(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(_on_ui_thread())
        return run_review(*args, **kwargs)

    monkeypatch.setattr(formal_review, "run_review", recording_review)
    assert window.open_project(str(project))
    window.set_role("agency")
    window.show_page("formal_review")
    page = window.pages["formal_review"]
    page.wait()
    assert threads == [False]
    assert page.table.model.rowCount() == 1 and page.table.selected_row().verdict is not None


def test_the_window_runs_one_operation_of_its_own_and_delivers_its_changes(
    window, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes
    from review_desk.project import Project

    window.set_project(Project.create(tmp_path / "p.rdp", name="测试"), str(tmp_path / "p.rdp"))
    overview = window.pages["overview"]
    loads: list[bool] = []
    overview.load = lambda: loads.append(True)  # type: ignore[method-assign]
    received: list[tuple[object, object]] = []
    window.operation_did_execute.connect(lambda c, s: received.append((c, s)))
    release = threading.Event()
    done: list[object] = []

    def work(progress):  # type: ignore[no-untyped-def]
        release.wait(5)
        return "imported"

    assert window.run_operation("t", work, done.append, done.append, changes=Changes(scores=True))
    assert window.run_operation("t", lambda p: None, done.append, done.append) is None
    assert "等待" in window.statusBar().currentMessage()
    release.set()
    window.wait()
    assert done == ["imported"] and not window.busy()
    assert received == [(Changes(scores=True), window)]
    assert loads == [True]  # the overview, visible, read the project again at once


def test_a_refused_finalisation_is_said_on_the_page_and_changes_nothing(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    assert window.open_project(str(demo_project))
    window.set_role("committee")
    window.show_page("ranking")
    page = window.pages["ranking"]
    page.wait()
    assert len(page.result.experts) > 0  # the demo has deviations nobody explained yet
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    received: list[object] = []
    window.operation_did_execute.connect(lambda c, _s: received.append(c))
    page.finalise()
    assert page.busy() and not page.finalise_button.isEnabled()
    page.wait()
    assert page.message_bar.level == "error"
    assert "畸高畸低" in page.message_bar.label.text(), page.message_bar.label.text()
    assert received == [] and page.result.finalised is None
    assert page.finalise_button.isEnabled()


def test_a_new_project_is_created_in_the_background(
    window, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from review_desk.project import Project

    target = tmp_path / "新项目.rdp"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("新项目", True))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    threads: list[bool] = []
    create = Project.create

    def recording_create(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(_on_ui_thread())
        return create(*args, **kwargs)

    monkeypatch.setattr(Project, "create", recording_create)
    with qtbot.waitSignal(window.project_opened, timeout=10_000):
        window.create_project()
    window.wait()
    assert threads == [False]
    assert window.project is not None and window.project.info().name == "新项目"


def test_closing_the_project_cancels_the_window_operation_first(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes
    from review_desk.project import Project

    window.set_project(Project.create(tmp_path / "p.rdp", name="测试"), str(tmp_path / "p.rdp"))
    project = window.project
    started, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def work(progress):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(5)
        progress(1, 1, "")  # raises: the operation was cancelled
        seen.append("went on")
        return project.info().name

    operation = window.run_operation(
        "t", work, seen.append, seen.append, changes=Changes(scores=True)
    )
    operation.cancelled.connect(lambda: seen.append("cancelled"))
    assert started.wait(5)
    cancel = operation.cancel

    def cancel_then_release() -> None:  # the work is still busy when it is cancelled
        cancel()
        release.set()

    operation.cancel = cancel_then_release
    window.close_project()
    assert seen == ["cancelled"] and not window.busy() and window.project is None


def test_the_experts_page_imports_a_roster_in_the_background(
    window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from review_desk.changes import Changes
    from review_desk.project import Project
    from tests.scoring.test_panels import _roster

    window.set_project(Project.create(tmp_path / "p.rdp", name="测试"), str(tmp_path / "p.rdp"))
    window.set_role("agency")
    window.show_page("experts")
    page = window.pages["experts"]
    page.wait()  # it reads in the background first
    received: list[object] = []
    window.operation_did_execute.connect(lambda c, _s: received.append(c))
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    bad = _roster(tmp_path / "bad.xlsx", [[1, "", "山西大学", "化工", "13900000000", ""]])
    good = _roster(tmp_path / "good.xlsx", [[1, "钱学文", "山西大学", "材料", "", ""]])
    for roster in (bad, good):
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, r=roster, **k: (str(r), ""))
        page.import_roster()
        assert page.busy() and not page.roster_button.isEnabled()
        page.wait()
    assert len(warnings) == 1 and "姓名" in warnings[0]  # the refused roster, row by row
    assert received == [Changes(experts=True)]  # only the stored roster changed anything
    assert page.experts.model.rowCount() == 1 and page.roster_button.isEnabled()


def test_the_agency_reopens_a_sheet_in_the_background(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QInputDialog

    from review_desk import queries
    from review_desk.changes import Changes

    assert window.open_project(str(demo_project))
    window.set_role("agency")
    window.show_page("scoring")
    page = window.pages["scoring"]
    assert page.table.select_where(lambda r: r.status == "submitted")
    sheet_id = page.table.selected_row().sheet_id
    received: list[object] = []
    window.operation_did_execute.connect(lambda c, _s: received.append(c))
    monkeypatch.setattr(
        QInputDialog, "getMultiLineText", lambda *a, **k: ("专家要求更正笔误", True)
    )
    page.reopen()
    page.wait()
    assert received == [Changes(scores=True)]
    status = {r.sheet_id: r.status for r in queries.score_sheets(window.project)}
    assert status[sheet_id] == "draft"


def test_a_cancel_after_the_adjustment_is_stored_still_shows_it(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from review_desk import ranking_decisions
    from review_desk.changes import Changes

    from ui.pages import ranking as ranking_page

    assert window.open_project(str(demo_project))
    window.set_role("committee")
    window.show_page("ranking")
    page = window.pages["ranking"]
    page.wait()
    assert page.table.select_where(lambda r: r.tier == "municipal")
    dossier_id = page.table.selected_row().dossier_id

    def accept(dialog):  # type: ignore[no-untyped-def]
        dialog.tier.setCurrentIndex(dialog.tier.findData("provincial"))
        dialog.text.setPlainText("联席会议认定其示范作用突出")
        return QDialog.DialogCode.Accepted

    adjust = ranking_decisions.adjust

    def adjust_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        adjust(*args, **kwargs)
        page.cancel_work()  # the user presses Cancel just after the decision is stored

    monkeypatch.setattr(ranking_page.ReasonDialog, "exec", accept)
    monkeypatch.setattr(ranking_decisions, "adjust", adjust_then_cancel)
    received: list[object] = []
    window.operation_did_execute.connect(lambda c, _s: received.append(c))
    page.adjust()
    page.wait()
    assert received == [Changes(adjustments=True)]
    assert page.table.select_where(lambda r: r.dossier_id == dossier_id)
    assert page.table.selected_row().adjusted_tier == "provincial"


def test_a_cancelled_workbook_import_reports_and_announces_what_it_stored(
    window, demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from PySide6.QtWidgets import QFileDialog

    from review_desk import score_sheets_excel
    from review_desk.changes import Changes
    from tests.scoring.test_sheet_service import _expert_with_free_rows, fill_unscored_rows

    import ui.score_workbook_actions as actions

    window.open_project(str(demo_project))
    window.set_role("agency")
    project = window.project
    expert = _expert_with_free_rows(project)
    first = tmp_path / "评分表.xlsx"
    score_sheets_excel.export_sheets(project, expert, first)
    fill_unscored_rows(project, expert, first, 2)
    second = shutil.copy(first, tmp_path / "评分表_2.xlsx")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(first), str(second)], "")
    )
    reports: list[actions.WorkbookReport] = []

    def fake_exec(dialog: QDialog) -> int:
        if isinstance(dialog, actions.WorkbookReport):
            reports.append(dialog)
            return 0
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QDialog, "exec", fake_exec)
    import_sheets = score_sheets_excel.import_sheets

    def import_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = import_sheets(*args, **kwargs)
        window._operation.cancel()  # the user cancels while the first file is read
        return result

    monkeypatch.setattr(score_sheets_excel, "import_sheets", import_then_cancel)
    changed: list[object] = []
    window.operation_did_execute.connect(lambda c, _s: changed.append(c))
    window.actions_by_key["import_score_workbooks"].trigger()
    window.wait()
    assert [r.file for r in reports[0].rows] == [first.name] and reports[0].rows[0].ok
    assert changed == [Changes(scores=True)]
