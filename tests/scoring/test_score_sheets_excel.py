"""Excel score workbooks: out and back, with Excel's own validation in the file and the
same checks as the app on the way in."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from review_desk import scoring
from review_desk.project import Project
from review_desk.score_sheets_excel import META, SHEET, export_sheets, import_sheets
from tests.scoring.test_scoring import free_assignment
from tests.small_project import cli
from tests.support import run_cli


def _row_of(sheet, code: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == code)


def test_round_trip_with_hand_typed_values(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
        with project.reading() as s:
            from review_desk.storage import models as m

            code = s.get(m.Dossier, dossier).code
        out = tmp_path / "sheets.xlsx"
        count = export_sheets(project, expert, out)
        assert count > 5
        workbook = load_workbook(out)
        assert workbook[META].sheet_state == "hidden" and workbook[SHEET].protection.sheet
        sheet = workbook[SHEET]
        validations = sheet.data_validations.dataValidation
        assert any("ROUND" in (v.formula1 or "") for v in validations)  # Excel checks the step
        row = _row_of(sheet, code)
        assert sheet.cell(row, 5).protection.locked is False
        sheet.cell(row, 5).value = 9.5  # A1
        sheet.cell(row, 6).value = "７"  # A2 typed as full-width text
        sheet.cell(row, 7).value = 5.5  # A3
        opinion_column = sheet.max_column - 1
        sheet.cell(row, opinion_column).value = (
            "材料完整，建设目标明确，重点任务具体可行，经费预算合理。" * 2
        )
        sheet.cell(row, opinion_column + 1).value = "V1：场地证明与实际不符"
        workbook.save(out)
        result = import_sheets(project, out)
        assert result.stored and not result.issues
        state = scoring.load_sheet(project, expert, dossier)
        assert {k: state.scores[k] for k in ("A1", "A2", "A3")} == {"A1": 9.5, "A2": 7.0, "A3": 5.5}
        assert state.vetoes == {"V1": "场地证明与实际不符"}
        assert project.verify_audit().intact


def test_bad_values_are_reported_by_cell_and_nothing_is_stored(
    demo_project: Path, tmp_path: Path
) -> None:
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
        with project.reading() as s:
            from review_desk.storage import models as m

            code = s.get(m.Dossier, dossier).code
        out = tmp_path / "sheets.xlsx"
        export_sheets(project, expert, out)
        workbook = load_workbook(out)
        sheet = workbook[SHEET]
        row = _row_of(sheet, code)
        sheet.cell(row, 5).value = 9.5  # good, but must not be stored
        sheet.cell(row, 6).value = 7.25  # off step
        sheet.cell(row, 7).value = 11  # out of range
        sheet.cell(row, 8).value = "优"  # not a number
        workbook.save(out)
        before = scoring.load_sheet(project, expert, dossier)
        result = import_sheets(project, out)
        assert not result.stored
        cells = {i.cell for i in result.issues}
        assert cells == {f"F{row}", f"G{row}", f"H{row}"}
        assert scoring.load_sheet(project, expert, dossier).scores == before.scores
    refused = run_cli("sheets", "import", str(demo_project), str(out), "--json")
    assert refused.returncode == 1 and '"stored": false' in refused.stdout


def test_a_workbook_for_another_project_is_refused(
    demo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``sheets import`` refuses (its own process); the workbook and the other project
    are made in-process."""
    out = tmp_path / "sheets.xlsx"
    code, _out, err = cli(
        capsys, "sheets", "export", str(demo_project), "--expert", "1", "--out", str(out)
    )
    assert code == 0, err
    other = tmp_path / "other.rdp"
    code, _out, err = cli(capsys, "project", "new", str(other), "--name", "另一个项目")
    assert code == 0, err
    result = run_cli("sheets", "import", str(other), str(out))
    assert result.returncode == 2 and "项目" in result.stderr
