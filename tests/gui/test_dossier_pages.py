"""The dossier and formal-review pages: filters, the PDF viewer and its checklist jumps,
reviewers' decisions, and the intake dialog."""

from __future__ import annotations

import random
from pathlib import Path

from PySide6.QtWidgets import QDialog

from review_desk import formal_review as fr


def _open(window, demo_project: Path, key: str):  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    window.show_page(key)
    return window.pages[key]


def test_filters_narrow_the_dossier_list(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _open(window, demo_project, "materials")
    table = page.table
    total = window.project.summary().dossiers
    assert table.proxy.rowCount() == total > 0
    box = page.filters.boxes["direction"]
    box.setCurrentIndex(box.findData(7))
    assert 0 < table.proxy.rowCount() < total
    assert all(
        table.proxy.index(r, 0).data().startswith("SX-07") for r in range(table.proxy.rowCount())
    )
    status = page.filters.boxes["status"]
    box.setCurrentIndex(0)
    status.setCurrentIndex(status.findData(fr.FAILED))
    assert table.proxy.rowCount() == 3
    status.setCurrentIndex(0)
    table.search.setText("太原工业大学")
    assert table.proxy.rowCount() == 2


def test_viewer_shows_the_pdf_and_jumps_to_checklist_items(
    window, demo_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page = _open(window, demo_project, "materials")
    assert page.table.select_where(lambda r: r.applicant == "山西农林大学")
    viewer = page.viewer
    qtbot.waitUntil(lambda: viewer.page_count() == 5)
    items = page.checklist.model
    assert items.rowCount() == 13
    budget = next(
        items.row_at(r) for r in range(items.rowCount()) if items.row_at(r).id == "item:plan.budget"
    )
    page.checklist.select_where(lambda c: c.id == "item:support.authenticity")
    target = next(
        items.row_at(r)
        for r in range(items.rowCount())
        if items.row_at(r).id == "item:support.authenticity"
    )
    qtbot.waitUntil(lambda: viewer.current_page() == target.page - 1)
    assert budget.page >= 2
    viewer.search("经费预算", prefer_page=budget.page - 1)
    qtbot.waitUntil(lambda: viewer.match_count() >= 1)
    qtbot.waitUntil(lambda: viewer.current_page() == budget.page - 1)
    assert viewer.search_status.text()


def test_scan_and_late_dossiers_are_marked(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _open(window, demo_project, "materials")
    assert page.table.select_where(lambda r: r.applicant == "晋城市人民政府")
    results = {
        page.checklist.model.row_at(r).result for r in range(page.checklist.model.rowCount())
    }
    assert results == {fr.MANUAL}
    late = [
        page.table.model.row_at(r)
        for r in range(page.table.model.rowCount())
        if page.table.model.row_at(r).late
    ]
    assert [r.applicant for r in late] == ["朔州绿色建材有限公司"]


def test_a_reviewer_decides_a_check(window, demo_project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import override_dialog

    page = _open(window, demo_project, "formal_review")
    assert "通过 39" in page.counts.text()
    assert page.table.select_where(lambda r: r.applicant == "吕梁特色轻工集团有限公司")
    assert page.checks.select_where(lambda c: c.id == "item:plan.benefits")

    def accept(dialog):  # type: ignore[no-untyped-def]
        assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
        dialog.met.setChecked(True)
        dialog.reason.setPlainText("预期效益写在建设目标一节末尾。")
        assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(override_dialog.OverrideDialog, "exec", accept)
    page.decide_check()
    page.wait()  # the decision is written off the UI thread
    row = page.current()
    assert row is not None and row.applicant == "吕梁特色轻工集团有限公司"
    assert row.verdict == fr.PASSED
    assert "通过 40" in page.counts.text()


def test_intake_dialog_imports_in_the_background(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from review_desk.demo.register_export import export_demo_register
    from review_desk.project import Project

    from ui.dialogs.intake_dialog import IntakeDialog

    register, files = export_demo_register(tmp_path / "delivery", random.Random(5))
    project = Project.create(
        tmp_path / "new.rdp",
        name="新项目",
        deadline=datetime.fromisoformat("2022-01-21T23:59+08:00"),
    )
    window.set_project(project, str(tmp_path / "new.rdp"))
    dialog = IntakeDialog(project, window)
    qtbot.addWidget(dialog)
    dialog.register_edit.setText(str(register))
    assert dialog.files_edit.text() == str(files)  # suggested from the register's folder
    with qtbot.waitSignal(dialog.imported, timeout=120_000):
        dialog.import_button.click()
    dialog.operation.wait()
    rows = dialog.result.applications  # every application of the register is new
    assert dialog.result.created == rows > 40
    assert dialog.issues.model.rowCount() == 2  # the scan (manual check) and the late one
    assert str(rows) in dialog.summary.text()
    assert project.summary().dossiers == rows
    # Their formal review ran in the dialog's worker, not afterwards on the UI thread.
    assert len(fr.reviews(project)) == rows
