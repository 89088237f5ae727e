"""Scores for criteria that do not apply to the dossier's applicant kind (stored by a
project made before the score-sheet service refused them) are not counted, and the
ranking reports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.backends import raw_sql
from tests.small_project import cli
from tests.support import run_cli


def _enterprise_sheets(path: Path) -> list[tuple[int, str, str]]:
    """Submitted sheets of enterprise dossiers: sheet id, dossier code, expert name."""
    with raw_sql(path) as db:
        rows = db.execute(
            text(
                "SELECT sh.id, d.code, e.name FROM score_sheet sh "
                "JOIN dossier d ON d.id = sh.dossier_id "
                "JOIN applicant a ON a.id = d.lead_applicant_id "
                "JOIN expert e ON e.id = sh.expert_id "
                "WHERE sh.status = 'submitted' AND a.kind = 'enterprise' ORDER BY sh.id"
            )
        ).all()
    return [(int(i), str(c), str(n)) for i, c, n in rows]


def test_stored_non_applicable_scores_do_not_count_and_are_reported(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The baseline and the table in-process; the list after the change through the real
    # entry point.
    status, out, err = cli(capsys, "rank", str(demo_project), "--json", "--resamples", "0")
    assert status == 0, err
    scores_before = {r["code"]: r["score"] for r in json.loads(out)["rows"]}
    sheets = _enterprise_sheets(demo_project)
    assert sheets, "the demo has scored enterprise dossiers"
    sheet_id, code, expert = sheets[0]
    # As an old project holds it: C2 applies to schools only.
    with raw_sql(demo_project) as db:
        db.execute(
            text(
                "INSERT INTO score (sheet_id, criterion_id, points, comment) "
                "VALUES (:s, 'C2', 6, '')"
            ),
            {"s": sheet_id},
        )

    after = run_cli("rank", str(demo_project), "--json", "--resamples", "0")
    assert after.returncode == 0, after.stderr
    data = json.loads(after.stdout)
    scores_after = {r["code"]: r["score"] for r in data["rows"]}
    assert scores_after == scores_before
    assert all(s is None or s <= 100 for s in scores_after.values())
    assert data["non_applicable_scores"] == [
        {"code": code, "expert": expert, "criterion": "C2", "points": 6.0}
    ]

    status, table, err = cli(capsys, "rank", str(demo_project), "--resamples", "0")
    assert status == 0, err
    assert "不适用" in table
    assert f"{code}  {expert}  C2" in table


def test_an_excel_sheet_with_points_for_a_criterion_that_does_not_apply_is_refused(
    demo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    from review_desk.score_sheets_excel import SHEET

    with raw_sql(demo_project) as db:
        expert_id, code = db.execute(
            text(
                "SELECT a.expert_id, d.code FROM assignment a "
                "JOIN dossier d ON d.id = a.dossier_id "
                "JOIN applicant ap ON ap.id = d.lead_applicant_id "
                "WHERE ap.kind = 'enterprise' AND NOT EXISTS (SELECT 1 FROM score_sheet sh "
                "WHERE sh.expert_id = a.expert_id AND sh.dossier_id = a.dossier_id) "
                "ORDER BY a.id LIMIT 1"
            )
        ).one()
    out = tmp_path / "评分表.xlsx"
    # The export in-process: the import's refusal, through the real entry point, is tested.
    made, _out, err = cli(
        capsys, "sheets", "export", str(demo_project), "--expert", str(expert_id), "--out", str(out)
    )
    assert made == 0, err
    workbook = load_workbook(out)
    sheet = workbook[SHEET]
    column = next(
        c.column for r in (1, 2) for c in sheet[r] if str(c.value or "").startswith("C2 ")
    )
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == code)
    sheet.cell(row, column).value = 6
    workbook.save(out)
    result = run_cli("sheets", "import", str(demo_project), str(out), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["stored"] is False
    assert "不适用" in result.stdout
    with raw_sql(demo_project) as db:
        kinds = db.execute(
            text(
                "SELECT DISTINCT ap.kind FROM score s JOIN score_sheet sh ON sh.id = s.sheet_id "
                "JOIN dossier d ON d.id = sh.dossier_id "
                "JOIN applicant ap ON ap.id = d.lead_applicant_id WHERE s.criterion_id = 'C2'"
            )
        ).scalars()
        assert "enterprise" not in set(kinds)
