"""Assigning the demo's dossiers to its experts through ``review-desk assign``: every
dossier gets k experts, loads stay in range, no recused or conflicting pair is used,
the result is audited and explained, a capped assignment follows its seed, and an
impossible request is refused with nothing stored."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import conflicts
from review_desk.project import Project
from review_desk.storage import models as m
from tests.exchange.test_packages import dump
from tests.small_project import cli


def _assigned(project: Path) -> dict[str, set[int]]:
    with Project(project) as opened, opened.reading() as s:
        rows = s.execute(
            select(m.Dossier.code, m.Assignment.expert_id).join(
                m.Dossier, m.Dossier.id == m.Assignment.dossier_id
            )
        ).all()
    found: dict[str, set[int]] = {}
    for code, expert in rows:
        found.setdefault(code, set()).add(int(expert))
    return found


def _conflict_on_a_dossier(project: Path) -> tuple[int, str, str]:
    """Declare a relation of an expert with a dossier's lead applicant (a conflict the
    rules catch); return the expert, the dossier's code and the applicant."""
    with Project(project) as opened, opened.transaction() as s:
        dossier = s.scalars(select(m.Dossier).order_by(m.Dossier.code)).first()
        assert dossier is not None
        sheets = {
            e
            for (e,) in s.execute(
                select(m.ScoreSheet.expert_id).where(m.ScoreSheet.dossier_id == dossier.id)
            )
        }
        expert = next(
            e for e in s.scalars(select(m.Expert).order_by(m.Expert.id)) if e.id not in sheets
        )
        name = dossier.lead_applicant.name
        expert.relations = [*expert.relations, name]
        return expert.id, dossier.code, name


def test_assign_gives_each_dossier_k_experts_without_conflicts_and_explains(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expert, code, applicant = _conflict_on_a_dossier(demo_project)
    status, out, err = cli(capsys, "assign", "run", str(demo_project), "--k", "4", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["stored"] is True
    assigned = _assigned(demo_project)
    planned = {a["dossier"] for a in result["assignments"]}
    with Project(demo_project) as project, project.reading() as s:
        started = Counter(
            code
            for (code,) in s.execute(
                select(m.Dossier.code).join(m.ScoreSheet, m.ScoreSheet.dossier_id == m.Dossier.id)
            )
        )
    # Four each, or more where more experts have started scoring (their work stays).
    assert planned and all(len(assigned[c]) == max(4, started[c]) for c in planned)
    assert any(len(assigned[c]) == 4 and started[c] < 4 for c in planned)
    assert expert not in assigned[code]  # the conflict is left out
    with Project(demo_project) as project:
        caught = {(c.expert_id, c.dossier) for c in conflicts.conflicts(project)}
        with project.reading() as s:
            recused = {(r.expert_id, r.dossier.code) for r in s.scalars(select(m.Recusal))}
            entry = s.scalars(
                select(m.AuditLog).where(m.AuditLog.action == "assignment.solve")
            ).one()
        assert project.verify_audit().intact
    pairs = {(e, c) for c, experts in assigned.items() for e in experts}
    assert not pairs & (caught | recused)
    assert entry.after["sha256"] == result["sha256"]
    loads = Counter(e for _c, e in pairs)
    assert max(loads.values()) <= max(result["loads"].values())

    status, out, err = cli(
        capsys, "assign", "explain", str(demo_project), "--dossier", code, "--json"
    )
    assert status == 0, err
    rows = json.loads(out)
    chosen = [r for r in rows if r["chosen"]]
    assert {r["expert_id"] for r in chosen} == assigned[code]
    assert all(r["reason"] for r in rows)
    left_out = next(r for r in rows if r["expert_id"] == expert)
    assert not left_out["chosen"] and applicant in left_out["reason"]


def test_a_capped_assignment_follows_its_seed(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo's panels are small: a cap of 1 (the cap's own sampling is tested in
    # tests/scoring/test_assignment.py); what matters here is that the seed decides.
    args = ["assign", "run", str(demo_project), "--k", "4", "--cap", "1", "--json"]
    digests = []
    for seed in ("11", "11", "12"):
        status, out, err = cli(capsys, *args, "--seed", seed, "--dry-run")
        assert status == 0, err
        digests.append(json.loads(out)["sha256"])
    assert digests[0] == digests[1]  # the same seed, the same assignment
    status, out, err = cli(capsys, *args[:-1], "--seed", "11")
    assert status == 0, err
    status, out, err = cli(
        capsys, "assign", "explain", str(demo_project), "--dossier", "SX-01-0026"
    )
    assert status == 0, err
    assert "概率" in out  # a drawn pair says with what probability


def test_an_impossible_assignment_is_refused_naming_the_dossier_and_stores_nothing(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(demo_project, audit=True)
    status, out, err = cli(capsys, "assign", "run", str(demo_project), "--k", "30")
    assert status == 2 and out == ""
    assert "错误：申报材料 SX-" in err and "名候选专家" in err and "Traceback" not in err
    assert dump(demo_project, audit=True) == before
    status, _out, err = cli(capsys, "assign", "explain", str(demo_project), "--dossier", "X")
    assert status == 2 and "assign run" in err


def test_work_started_stays_even_for_an_expert_no_longer_available(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An expert who has begun scoring keeps those dossiers when a new assignment is
    made without them (not available for the round any more, or not drawn)."""
    with Project(demo_project) as project, project.transaction() as s:
        expert_id, scored = next(
            (int(e), int(d))
            for e, d in s.execute(select(m.ScoreSheet.expert_id, m.ScoreSheet.dossier_id))
        )
        expert = s.get(m.Expert, expert_id)
        assert expert is not None
        expert.availability = ["另一批次"]
        code = s.get(m.Dossier, scored).code  # type: ignore[union-attr]
    status, out, err = cli(capsys, "assign", "run", str(demo_project), "--k", "4", "--json")
    assert status == 0, err
    assert expert_id in _assigned(demo_project)[code]
    assert str(expert_id) in json.loads(out)["loads"]


def test_an_expert_with_sheets_under_two_rubric_versions_keeps_one_assignment(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sheet per rubric version: the expert has started the dossier once, not twice."""
    from sqlalchemy import inspect, text

    from tests.backends import raw_sql

    with raw_sql(demo_project) as sql:
        columns = [c["name"] for c in inspect(sql).get_columns("score_sheet")]
        copied = ", ".join(
            "'older-rubric'" if c == "rubric_hash" else c for c in columns if c != "id"
        )
        names = ", ".join(c for c in columns if c != "id")
        sql.execute(
            text(
                f"INSERT INTO score_sheet ({names}) SELECT {copied} FROM score_sheet "
                "ORDER BY id LIMIT 1"
            )
        )
    status, _out, err = cli(capsys, "assign", "run", str(demo_project), "--k", "3")
    assert status == 0, err
    counts = Counter(len(experts) for experts in _assigned(demo_project).values())
    assert min(counts) >= 3
