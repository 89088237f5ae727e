"""The agency's Excel score workbooks in the window: export one for an expert, take it
back with "the experts have finished", and see which rows were submitted and which
stay drafts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QDialog, QFileDialog

from review_desk import scoring
from review_desk.changes import Changes
from review_desk.project import Project
from review_desk.score_sheets_excel import export_sheets
from tests.scoring.test_sheet_service import _expert_with_free_rows, fill_unscored_rows

import ui.score_workbook_actions as actions


def test_import_with_submit_from_the_menu(  # type: ignore[no-untyped-def]
    window, demo_project: Path, tmp_path: Path, monkeypatch, qtbot
) -> None:
    window.open_project(str(demo_project))
    window.set_role("agency")
    assert window.actions_by_key["import_score_workbooks"].isVisible()
    project = window.project
    expert = _expert_with_free_rows(project)
    out = tmp_path / "评分表.xlsx"
    export_sheets(project, expert, out)
    codes, ids = fill_unscored_rows(project, expert, out, 4)

    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(out)], "Excel (*.xlsx)")
    )
    seen: dict[str, object] = {}

    def fake_exec(dialog: QDialog) -> int:
        if isinstance(dialog, actions.WorkbookReport):
            seen["report"] = dialog
            return 0
        box = dialog.findChild(QCheckBox)
        assert box is not None and box.isChecked()  # "the experts have finished" by default
        seen["asked"] = box.text()
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QDialog, "exec", fake_exec)
    changed: list[object] = []
    window.operation_did_execute.connect(lambda changes, _source: changed.append(changes))
    window.actions_by_key["import_score_workbooks"].trigger()
    qtbot.waitUntil(lambda: "report" in seen, timeout=30_000)
    qtbot.waitUntil(lambda: bool(changed), timeout=5_000)
    assert changed == [Changes(scores=True)]  # every page hears of the stored scores
    assert "提交" in str(seen["asked"])
    report = seen["report"]
    assert isinstance(report, actions.WorkbookReport)
    (line,) = report.rows
    assert line.ok and line.file == out.name
    assert f"已提交 {len(codes)} 份" in line.detail
    with Project(demo_project) as check:
        for code in codes:
            assert scoring.load_sheet(check, expert, ids[code]).status == scoring.SUBMITTED


def test_work_packages_for_every_expert_with_assignments(  # type: ignore[no-untyped-def]
    window, demo_project: Path, tmp_path: Path, monkeypatch, qtbot
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from review_desk import queries

    window.open_project(str(demo_project))
    window.set_role("agency")
    folder = tmp_path / "packages"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    window.actions_by_key["make_work_packages"].trigger()
    qtbot.waitUntil(lambda: bool(told), timeout=60_000)
    expected = [e for e in queries.experts(window.project) if e.assigned]
    written = sorted(p.name for p in folder.glob("*.rdwork"))
    assert len(written) == len(expected) > 0
    assert all(f"_{e.id:03d}_{e.name}.rdwork" in " ".join(written) for e in expected)
