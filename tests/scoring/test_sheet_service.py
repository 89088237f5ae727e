"""The score-sheet service as users reach it: an expert who scores only in Excel is
counted after ``sheets import --submit``; an expert's own project submits without the
desk; the rules (kind, range, lock) hold whatever the source; the audit names who acted
and on whose behalf."""

from __future__ import annotations

import hashlib
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review_desk import scoring
from review_desk.cli import main
from review_desk.project import Project
from review_desk.score_sheets_excel import SHEET
from review_desk.storage import models as m
from tests.exchange.test_return_members import offline_expert, shared_dossier
from tests.support import run_cli

OPINION = "材料完整，建设目标明确，重点任务具体可行，经费预算合理，保障措施有力。" * 2


def _expert_with_free_rows(project: Project) -> int:
    """The expert with the most assigned dossiers not yet scored."""
    with project.reading() as s:
        started = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.ScoreSheet))}
        recused = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.Recusal))}
        counts: dict[int, int] = {}
        for a in s.scalars(select(m.Assignment)):
            pair = (a.expert_id, a.dossier_id)
            if pair not in started and pair not in recused:
                counts[a.expert_id] = counts.get(a.expert_id, 0) + 1
    return max(counts, key=lambda e: counts[e])


def _cli_in_process(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return its exit code and what it printed to stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


def _info(project: Path) -> dict[str, int]:
    """``project info --json``, in-process (the counts, not the command, are checked)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["project", "info", str(project), "--json"])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def fill_unscored_rows(
    project: Project, expert: int, workbook_path: Path, points: float
) -> tuple[list[str], dict[str, int]]:
    """Fill every row of an exported workbook that the expert has not begun, as an
    expert typing in Excel would: every white cell and the opinion. Return the codes
    filled, in order, and the project's dossier ids by code."""
    with project.reading() as s:
        started = {
            x.dossier_id
            for x in s.scalars(select(m.ScoreSheet).where(m.ScoreSheet.expert_id == expert))
        }
        ids = {d.code: d.id for d in s.scalars(select(m.Dossier))}
    workbook = load_workbook(workbook_path)
    sheet = workbook[SHEET]
    opinion_column = sheet.max_column - 1
    codes = []
    for row in range(3, sheet.max_row + 1):
        code = sheet.cell(row, 1).value
        if not code or ids[code] in started:
            continue
        for column in range(5, opinion_column):
            if sheet.cell(row, column).value != "—":
                sheet.cell(row, column).value = points
        sheet.cell(row, opinion_column).value = OPINION
        codes.append(code)
    workbook.save(workbook_path)
    return codes, ids


def test_an_expert_who_scores_only_in_excel_is_counted(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        expert = _expert_with_free_rows(project)
    out = tmp_path / "评分表.xlsx"
    # The workbook is exported in-process; importing it is the command under test.
    code, err = _cli_in_process(
        "sheets", "export", str(demo_project), "--expert", str(expert), "--out", str(out)
    )
    assert code == 0, err
    with Project(demo_project) as project:
        codes, ids = fill_unscored_rows(project, expert, out, 5)
    incomplete, filled = codes[0], codes[1:]
    workbook = load_workbook(out)  # one row left without its first criterion: stays a draft
    sheet = workbook[SHEET]
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == incomplete)
    sheet.cell(row, 5).value = None
    workbook.save(out)
    assert len(filled) >= 2
    before = _info(demo_project)
    imported = run_cli("sheets", "import", str(demo_project), str(out), "--submit", "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    result = json.loads(imported.stdout)
    assert result["stored"] and result["submitted"] == len(filled)
    drafts = {d["code"]: d["reasons"] for d in result["drafts"]}
    assert incomplete in drafts and not set(filled) & set(drafts)  # others: begun earlier
    assert "A1" in drafts[incomplete][0]
    after = _info(demo_project)
    assert after["sheets_submitted"] == before["sheets_submitted"] + len(filled)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result["sha256"] == digest
    with Project(demo_project) as project, project.reading() as s:
        for code in filled:
            stored = s.scalars(
                select(m.ScoreSheet).where(
                    m.ScoreSheet.expert_id == expert, m.ScoreSheet.dossier_id == ids[code]
                )
            ).one()
            assert stored.status == "submitted" and stored.source == "excel"
            assert stored.source_sha256 == digest and stored.entered_by == "agency"
        entries = s.scalars(
            select(m.AuditLog)
            .where(m.AuditLog.action == "scoresheet.submit")
            .order_by(m.AuditLog.id.desc())
        ).all()[: len(filled)]
        assert {e.actor for e in entries} == {"agency"}
        assert {e.after["on_behalf_of"] for e in entries} == {f"expert:{expert}"}  # type: ignore[index]
    # Importing the same workbook again changes nothing and is not an error.
    again = run_cli("sheets", "import", str(demo_project), str(out), "--submit", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["already_submitted"] >= len(filled)
    assert _info(demo_project)["sheets_submitted"] == after["sheets_submitted"]


def test_the_expert_side_submits_without_the_desk(demo_project: Path, tmp_path: Path) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    with Project(own) as local:
        with local.reading() as s:
            found = s.get(m.Dossier, dossier)
            assert found is not None
            code, kind = found.code, found.lead_applicant.kind
            other = next(
                a.dossier_id
                for a in s.scalars(select(m.Assignment))
                if a.dossier_id != dossier
                and not s.scalars(
                    select(m.ScoreSheet).where(m.ScoreSheet.dossier_id == a.dossier_id)
                ).first()
            )
            other_code = s.get(m.Dossier, other).code  # type: ignore[union-attr]
        rubric = scoring.rubric_of(local, scoring.load_sheet(local, expert, dossier))
        for c in rubric.criteria:
            if c.applies(kind):
                scoring.set_score(local, expert, dossier, c.id, c.step)
        scoring.set_opinion(local, expert, dossier, OPINION)
        scoring.set_score(local, expert, other, "A1", 3)  # begun, not complete
    partial = run_cli("sheets", "submit", str(own), "--dossier", other_code)
    assert partial.returncode == 1 and other_code in partial.stdout
    done = run_cli("sheets", "submit", str(own), "--all-complete", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["submitted"] == [code] and other_code in report["drafts"]
    with Project(own) as local:
        assert scoring.load_sheet(local, expert, dossier).status == scoring.SUBMITTED
        assert scoring.load_sheet(local, expert, other).status == scoring.DRAFT
    # The agency's project is nobody's own: it must say whose sheets.
    refused = run_cli("sheets", "submit", str(demo_project), "--all-complete")
    assert refused.returncode == 2 and "--expert" in refused.stderr


def test_criteria_that_do_not_apply_to_the_kind_are_refused(demo_project: Path) -> None:
    with Project(demo_project) as project:
        rubric = scoring.rubric_of(
            project, scoring.load_sheet(project, *shared_dossier(demo_project)[::2])
        )
        narrow = [c for c in rubric.criteria if c.applies_to != ("all",)]
        assert narrow, "the default rubric has kind-specific criteria"
        criterion = narrow[0]
        with project.reading() as s:
            started = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.ScoreSheet))}
            pair = next(
                (a.expert_id, a.dossier_id)
                for a in s.scalars(select(m.Assignment))
                if (a.expert_id, a.dossier_id) not in started
                and not criterion.applies(a.dossier.lead_applicant.kind)
            )
        with pytest.raises(scoring.ScoringError, match=criterion.id):
            scoring.set_score(project, *pair, criterion.id, criterion.max)
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, *pair, "A1", float("nan"))
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, *pair, "A1", True)  # type: ignore[arg-type]
        with pytest.raises(scoring.ScoringError):
            scoring.set_opinion(project, *pair, "长" * 20_001)
        assert scoring.load_sheet(project, *pair).status == scoring.NOT_STARTED


def test_one_audit_entry_per_call_with_texts_kept_linear(demo_project: Path) -> None:
    from review_desk.scoring import Change, Field

    with Project(demo_project) as project:
        expert, _other, dossier = shared_dossier(demo_project)
        scoring.apply(
            project,
            expert,
            dossier,
            [Change(Field.SCORE, "A1", 5), Change(Field.OPINION, "", OPINION)],
            actor="operator:王敏",
        )
        scoring.set_opinion(project, expert, dossier, OPINION + "补充。")
        with project.reading() as s:
            entries = s.scalars(
                select(m.AuditLog).where(m.AuditLog.entity == "score_sheet").order_by(m.AuditLog.id)
            ).all()[-2:]
        first, second = entries
        assert first.actor == "operator:王敏" and first.after["on_behalf_of"] == f"expert:{expert}"  # type: ignore[index]
        assert [c["field"] for c in first.after["changes"]] == ["score", "opinion"]  # type: ignore[index]
        assert second.actor == f"expert:{expert}" and "on_behalf_of" not in second.after  # type: ignore[operator]
        # The text before is kept by its length and hash, not repeated whole.
        assert second.before["changes"][0]["value"] == {  # type: ignore[index]
            "length": len(OPINION),
            "sha256": hashlib.sha256(OPINION.encode()).hexdigest(),
        }


def test_a_save_blocked_by_another_writer_is_a_clear_busy_error(
    demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.exchange.test_return_members import hold_write_lock

    monkeypatch.setenv("REVIEW_DESK_BUSY_TIMEOUT_MS", "200")
    expert, _other, dossier = shared_dossier(demo_project)
    with Project(demo_project) as project:
        locker = hold_write_lock(demo_project, None)  # held until told, not for a while
        assert locker.stdin is not None
        try:
            with pytest.raises(scoring.SheetBusy, match="正忙"):
                scoring.set_score(project, expert, dossier, "A1", 5)
        finally:
            locker.stdin.write("release\n")
            locker.stdin.flush()
            locker.wait(timeout=60)
        assert locker.returncode == 0
        assert scoring.load_sheet(project, expert, dossier).status == scoring.NOT_STARTED
        scoring.set_score(project, expert, dossier, "A1", 5)  # free again: saved
        assert scoring.load_sheet(project, expert, dossier).scores == {"A1": 5.0}
