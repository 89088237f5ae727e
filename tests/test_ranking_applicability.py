"""Scores for criteria that do not apply to the dossier's applicant kind (stored by a
project made before the score-sheet service refused them) are not counted, and the
ranking reports them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support import run_cli


def _enterprise_sheets(path: Path) -> list[tuple[int, str, str]]:
    """Submitted sheets of enterprise dossiers: sheet id, dossier code, expert name."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT sh.id, d.code, e.name FROM score_sheet sh "
            "JOIN dossier d ON d.id = sh.dossier_id "
            "JOIN applicant a ON a.id = d.lead_applicant_id "
            "JOIN expert e ON e.id = sh.expert_id "
            "WHERE sh.status = 'submitted' AND a.kind = 'enterprise' ORDER BY sh.id"
        ).fetchall()
    db.close()
    return [(int(i), str(c), str(n)) for i, c, n in rows]


def test_stored_non_applicable_scores_do_not_count_and_are_reported(
    demo_project: Path,
) -> None:
    before = run_cli("rank", str(demo_project), "--json", "--resamples", "0")
    assert before.returncode == 0, before.stderr
    scores_before = {r["code"]: r["score"] for r in json.loads(before.stdout)["rows"]}
    sheets = _enterprise_sheets(demo_project)
    assert sheets, "the demo has scored enterprise dossiers"
    sheet_id, code, expert = sheets[0]
    # As an old project holds it: C2 applies to schools only.
    with sqlite3.connect(demo_project) as db:
        db.execute(
            "INSERT INTO score (sheet_id, criterion_id, points, comment) VALUES (?, 'C2', 6, '')",
            (sheet_id,),
        )
    db.close()

    after = run_cli("rank", str(demo_project), "--json", "--resamples", "0")
    assert after.returncode == 0, after.stderr
    data = json.loads(after.stdout)
    scores_after = {r["code"]: r["score"] for r in data["rows"]}
    assert scores_after == scores_before
    assert all(s is None or s <= 100 for s in scores_after.values())
    assert data["non_applicable_scores"] == [
        {"code": code, "expert": expert, "criterion": "C2", "points": 6.0}
    ]

    table = run_cli("rank", str(demo_project), "--resamples", "0", module="review_desk")
    assert table.returncode == 0, table.stderr
    assert "不适用" in table.stdout
    assert f"{code}  {expert}  C2" in table.stdout
