"""Per-sheet stage totals (review_desk.scoring.totals): kept by the score-sheet service,
cleared by the database when anything else changes what they sum, never used stale,
and filled for the sheets of a project made before they existed. Every check compares
with the points summed here from the raw scores and the rubric's applicability."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect, select, text

from review_desk import ranking
from review_desk.project import Project
from review_desk.rubrics import active_rubric
from review_desk.scoring import Change, Field, apply, totals
from review_desk.storage import models as m
from review_desk.storage.database import make_engine, migrate, url_for
from scoring_models.rubric import Rubric
from tests.backends import raw_sql

TRIGGERS = {
    "score_totals_insert",
    "score_totals_delete",
    "score_totals_update",
    "sheet_totals_update",
    "dossier_totals_update",
    "applicant_totals_update",
}


def _expected(path: Path, rubric: Rubric) -> dict[int, tuple[list[float | None], int]]:
    """Each sheet's counted points per stage and its uncounted points, summed in Python
    from the raw rows."""
    stage_of = {c.id: c.stage for c in rubric.criteria}
    applies = {c.id: c.applies_to for c in rubric.criteria}
    keys = [s.key for s in rubric.stages]
    with raw_sql(path) as db:
        sheets = db.execute(
            text(
                "SELECT sh.id, a.kind FROM score_sheet sh JOIN dossier d ON d.id = sh.dossier_id "
                "JOIN applicant a ON a.id = d.lead_applicant_id"
            )
        ).all()
        scores = db.execute(text("SELECT sheet_id, criterion_id, points FROM score")).all()
    kind = {int(sheet): str(k) for sheet, k in sheets}
    found: dict[int, tuple[list[float | None], int]] = {s: ([None] * len(keys), 0) for s in kind}
    for sheet, criterion, points in scores:
        if points is None:
            continue
        sums, uncounted = found[sheet]
        if criterion in applies and (
            "all" in applies[criterion] or kind[sheet] in applies[criterion]
        ):
            i = keys.index(stage_of[criterion])
            sums[i] = (sums[i] or 0.0) + points
        else:
            found[sheet] = (sums, uncounted + 1)
    return found


def _stored(path: Path) -> dict[int, tuple[str | None, int | None]]:
    with raw_sql(path) as db:
        rows = db.execute(text("SELECT id, stage_totals, uncounted_scores FROM score_sheet")).all()
    return {int(i): (t, u) for i, t, u in rows}


def _read(path: Path) -> dict[int, tuple[list[float | None], int]]:
    """What the ranking reads, by sheet id."""
    with Project(path) as project, project.reading() as session:
        versions = totals.read(session)
    found = {}
    for version in versions:
        for sheet, points, uncounted in zip(
            version.sheet_id, version.points, version.uncounted, strict=True
        ):
            found[int(sheet)] = (
                [None if np.isnan(p) else float(p) for p in points],
                int(uncounted),
            )
    return found


def _submitted(path: Path) -> set[int]:
    with raw_sql(path) as db:
        rows = db.execute(text("SELECT id FROM score_sheet WHERE status = 'submitted'")).all()
    return {int(r[0]) for r in rows}


def _rubric(path: Path) -> Rubric:
    with Project(path) as project:
        return active_rubric(project)


def test_the_triggers_exist_at_the_head(demo_project: Path) -> None:
    with raw_sql(demo_project) as db:
        query = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            if db.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
        names = {r[0] for r in db.execute(text(query))}
    assert names >= TRIGGERS


def test_every_sheet_of_the_demo_has_its_totals(demo_project: Path) -> None:
    rubric = _rubric(demo_project)
    expected = _expected(demo_project, rubric)
    stored = _stored(demo_project)
    assert stored and all(t is not None for t, _u in stored.values())
    for sheet, (stored_text, uncounted) in stored.items():
        assert (json.loads(str(stored_text)), uncounted) == expected[sheet]


def test_the_service_keeps_a_sheets_totals(demo_project: Path) -> None:
    with Project(demo_project) as project, project.reading() as session:
        sheet = session.scalars(
            select(m.ScoreSheet).where(m.ScoreSheet.status == "draft").order_by(m.ScoreSheet.id)
        ).first()
        assert sheet is not None
        expert_id, dossier_id, sheet_id = sheet.expert_id, sheet.dossier_id, sheet.id
        kind = sheet.dossier.lead_applicant.kind
    rubric = _rubric(demo_project)
    criterion = next(c for c in rubric.criteria if c.stage == "defense" and c.applies(kind))
    with Project(demo_project) as project:
        apply(
            project,
            expert_id,
            dossier_id,
            [Change(Field.SCORE, criterion.id, criterion.max)],
            actor=f"expert:{expert_id}",
        )
    stored = _stored(demo_project)[sheet_id]
    assert stored[0] is not None
    assert (json.loads(stored[0]), stored[1]) == _expected(demo_project, rubric)[sheet_id]


@pytest.mark.parametrize(
    "statement",
    [
        # Another program adds a score, changes one, deletes one.
        "INSERT INTO score (sheet_id, criterion_id, points, comment) "
        "SELECT id, 'C2', 6, '' FROM score_sheet WHERE status = 'submitted' "
        "AND id NOT IN (SELECT sheet_id FROM score WHERE criterion_id = 'C2')",
        "UPDATE score SET points = 0 WHERE id IN (SELECT MIN(id) FROM score GROUP BY sheet_id)",
        "DELETE FROM score WHERE id IN (SELECT MAX(id) FROM score GROUP BY sheet_id)",
        # The lead applicant's kind corrected: other criteria apply.
        "UPDATE applicant SET kind = CASE kind WHEN 'enterprise' THEN 'vocational_college' "
        "ELSE 'enterprise' END",
        # A sheet moved to another dossier (of another kind of applicant).
        "UPDATE score_sheet SET dossier_id = (SELECT d.id FROM dossier d "
        "JOIN applicant a ON a.id = d.lead_applicant_id WHERE a.kind = 'enterprise' "
        "AND d.id NOT IN (SELECT dossier_id FROM score_sheet s2 "
        "WHERE s2.expert_id = score_sheet.expert_id) LIMIT 1) "
        "WHERE id = (SELECT MIN(sh.id) FROM score_sheet sh JOIN dossier d ON d.id = sh.dossier_id "
        "JOIN applicant a ON a.id = d.lead_applicant_id "
        "WHERE sh.status = 'submitted' AND a.kind != 'enterprise')",
    ],
)
def test_changes_outside_the_service_never_leave_a_stale_total(
    demo_project: Path, statement: str
) -> None:
    with raw_sql(demo_project) as db:
        if db.dialect.name == "sqlite":
            db.execute(text("PRAGMA foreign_keys = ON"))
        changed = db.execute(text(statement)).rowcount
    assert changed > 0
    assert any(t is None for t, _u in _stored(demo_project).values())
    rubric = _rubric(demo_project)
    expected = _expected(demo_project, rubric)
    read = _read(demo_project)
    assert set(read) == _submitted(demo_project)
    assert read == {s: expected[s] for s in read}
    with Project(demo_project) as project:
        assert totals.rebuild(project) > 0
    stored = _stored(demo_project)
    assert all((json.loads(str(t)), u) == expected[s] for s, (t, u) in stored.items())


@pytest.mark.parametrize(
    "value", ["[1, 2]", "garbage", '["a", 1, 2]', "[1e400, 0, 0]", "[-1, 0, 0]", ""]
)
def test_a_stored_total_that_is_not_ours_is_not_believed(demo_project: Path, value: str) -> None:
    with raw_sql(demo_project) as db:
        db.execute(
            text(
                "UPDATE score_sheet SET stage_totals = :v WHERE id = "
                "(SELECT MIN(id) FROM score_sheet WHERE status = 'submitted')"
            ),
            {"v": value},
        )
    expected = _expected(demo_project, _rubric(demo_project))
    read = _read(demo_project)
    assert read == {s: expected[s] for s in read}


def test_the_ranking_counts_a_score_another_program_wrote(demo_project: Path) -> None:
    with Project(demo_project) as project:
        before = ranking.compute(project, resamples=0).table.set_index("code")["score"]
    with raw_sql(demo_project) as db:
        sheet, code = db.execute(
            text(
                "SELECT sh.id, d.code FROM score_sheet sh JOIN dossier d ON d.id = sh.dossier_id "
                "JOIN score s ON s.sheet_id = sh.id WHERE sh.status = 'submitted' "
                "AND s.criterion_id = 'A1' AND s.points > 0 ORDER BY sh.id"
            )
        ).first()  # type: ignore[misc]
        db.execute(
            text("UPDATE score SET points = 0 WHERE sheet_id = :s AND criterion_id = 'A1'"),
            {"s": sheet},
        )
    with Project(demo_project) as project:
        after = ranking.compute(project, resamples=0).table.set_index("code")["score"]
    assert after[code] < before[code]


def test_sheets_stored_before_the_totals_existed_get_them(demo_project: Path) -> None:
    engine = make_engine(url_for(demo_project))
    migrate(engine, "0007", down=True)
    engine.dispose()
    with raw_sql(demo_project) as db:
        columns = {c["name"] for c in inspect(db).get_columns("score_sheet")}
    assert "stage_totals" not in columns
    with Project(demo_project) as project:
        assert project.db.upgraded_from == "0007"
    expected = _expected(demo_project, _rubric(demo_project))
    stored = _stored(demo_project)
    assert all((json.loads(str(t)), u) == expected[s] for s, (t, u) in stored.items())


def test_totals_summed_by_the_service_equal_the_databases(demo_readonly: Path) -> None:
    """What the score-sheet service stores after a save (summed in Python) is what the
    database sums for every sheet of the demo, null stages and uncounted points alike."""
    with Project(demo_readonly, read_only=True) as project, project.reading() as session:
        sheets = session.scalars(select(m.ScoreSheet)).all()
        assert sheets
        for content_hash in {s.rubric_hash for s in sheets}:
            version = totals._version(session, content_hash, {})
            assert version is not None
            database = {
                sheet: (text_, uncounted)
                for sheet, text_, uncounted in totals._computed(
                    session, version, content_hash, None
                )
            }
            for sheet in (s for s in sheets if s.rubric_hash == content_hash):
                kind = sheet.dossier.lead_applicant.kind
                pairs = [(s.criterion_id, s.points) for s in sheet.scores]
                pairs.append(("NOT-A-CRITERION", 1.0))  # counted nowhere: uncounted
                here_text, here_uncounted = totals.of_scores(version, kind, pairs)
                there_text, there_uncounted = database[sheet.id]
                assert json.loads(here_text) == json.loads(there_text), sheet.id
                assert here_uncounted == there_uncounted + 1, sheet.id
