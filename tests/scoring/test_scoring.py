"""The score sheet use cases: permissions, validation, submission, reopening, and that an
acknowledged edit survives the process being killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import scoring
from review_desk.project import Project
from review_desk.rubrics import active_rubric
from review_desk.sheet_changes import SCORE, SheetChange
from review_desk.storage import models as m

ROOT = Path(__file__).resolve().parents[2]


def free_assignment(project: Project) -> tuple[int, int]:
    """An assignment without a sheet yet: (expert id, dossier id)."""
    with project.reading() as s:
        started = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.ScoreSheet))}
        for a in s.scalars(select(m.Assignment).order_by(m.Assignment.id)):
            if (a.expert_id, a.dossier_id) not in started:
                return a.expert_id, a.dossier_id
    raise AssertionError("no free assignment in the demo")


def test_scores_are_checked_and_saved(demo_project: Path) -> None:
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
        assert scoring.load_sheet(project, expert, dossier).status == scoring.NOT_STARTED
        assert scoring.set_score(project, expert, dossier, "A1", 8.5) is None
        assert scoring.set_score(project, expert, dossier, "A1", 9) == 8.5
        for bad in (10.5, -1, 7.25, float("nan")):
            with pytest.raises(scoring.ScoringError):
                scoring.set_score(project, expert, dossier, "A1", bad)
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, expert, dossier, "Z9", 1)
        state = scoring.load_sheet(project, expert, dossier)
        assert state.status == scoring.DRAFT and state.scores == {"A1": 9.0}
        assert state.rubric_hash == active_rubric(project).content_hash
        assert project.verify_audit().intact


def test_recused_and_unassigned_experts_cannot_score(demo_project: Path) -> None:
    with Project(demo_project) as project, project.reading() as s:
        recusal = s.scalars(select(m.Recusal)).first()
        assert recusal is not None
        other = s.scalars(
            select(m.Dossier.id).where(
                m.Dossier.id.not_in(
                    select(m.Assignment.dossier_id).where(
                        m.Assignment.expert_id == recusal.expert_id
                    )
                )
            )
        ).first()
    with Project(demo_project) as project:
        with pytest.raises(scoring.ScoringError, match="回避"):
            scoring.set_score(project, recusal.expert_id, recusal.dossier_id, "A1", 5)
        with pytest.raises(scoring.ScoringError):
            scoring.load_sheet(project, recusal.expert_id, recusal.dossier_id)
        assert other is not None
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, recusal.expert_id, other, "A1", 5)


def test_submit_needs_everything_then_locks_until_reopened(demo_project: Path) -> None:
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
        with pytest.raises(scoring.ScoringError):
            scoring.submit(project, expert, dossier)
        state = scoring.load_sheet(project, expert, dossier)
        rubric = scoring.rubric_of(project, state)
        with project.reading() as s:
            kind = s.get(m.Dossier, dossier).lead_applicant.kind
        for criterion in rubric.criteria:
            if criterion.applies(kind):
                scoring.set_score(
                    project, expert, dossier, criterion.id, criterion.max - criterion.step
                )
        scoring.set_opinion(project, expert, dossier, "短")
        with pytest.raises(scoring.ScoringError, match="50"):
            scoring.submit(project, expert, dossier)
        scoring.set_opinion(project, expert, dossier, "建设基础扎实，方案完整可行，" * 5)
        scoring.set_veto(project, expert, dossier, "V1", "经核实第 12 页场地证明为复印件伪造。")
        submitted = scoring.submit(project, expert, dossier)
        assert submitted.locked and submitted.vetoes["V1"].startswith("经核实")
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, expert, dossier, "A1", 1)
        with pytest.raises(scoring.ScoringError):
            scoring.reopen(project, submitted.sheet_id or 0, "")
        scoring.reopen(project, submitted.sheet_id or 0, "专家申请更正 A1 的评分。")
        assert scoring.set_score(project, expert, dossier, "A1", 1) is not None
        with project.reading() as s:
            actions = s.scalars(select(m.AuditLog.action)).all()
        assert {"scoresheet.submit", "scoresheet.reopen", "sheet.change"} <= set(actions)


def test_changes_undo_through_their_inverse(demo_project: Path) -> None:
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
        change = SheetChange(expert, dossier, SCORE, "A2", None, 7.0)
        change.apply(project)
        assert scoring.load_sheet(project, expert, dossier).scores["A2"] == 7.0
        change.inverse().apply(project)
        assert "A2" not in scoring.load_sheet(project, expert, dossier).scores


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from review_desk.project import Project
    from review_desk import scoring
    project = Project(sys.argv[1])
    expert, dossier = int(sys.argv[2]), int(sys.argv[3])
    scoring.set_score(project, expert, dossier, "A3", 5.5)
    print("ACK", flush=True)   # what the desk shows as 已保存
    time.sleep(60)
    """
)


def test_an_acknowledged_edit_survives_sigkill(demo_project: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("SIGKILL is POSIX")
    with Project(demo_project) as project:
        expert, dossier = free_assignment(project)
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(demo_project), str(expert), str(dossier)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ACK"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    with Project(demo_project) as project:
        assert scoring.load_sheet(project, expert, dossier).scores == {"A3": 5.5}
        assert project.verify_audit().intact


def test_typed_points_accept_full_width_digits_and_a_comma_decimal() -> None:
    """What the desk reads from a score field: the number, ``None`` when empty, NaN
    for text that is not a number."""
    import math

    from review_desk.scoring.state import parse_points

    assert parse_points("４.５") == 4.5
    assert parse_points(" 3,5 ") == 3.5
    assert parse_points("") is None and parse_points("  ") is None
    assert math.isnan(parse_points("七") or 0.0)
