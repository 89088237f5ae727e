"""The ranked list on the demo project: quotas, reasons, reproducibility, deviation
explanations, committee adjustments and finalisation (all in the audit log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import ranking
from review_desk.project import Project
from review_desk.storage import models as m
from tests.support import run_cli


def _actions(project: Project) -> list[str]:
    with project.reading() as session:
        return list(session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)))


def test_demo_ranks_under_the_quotas_with_reasons(demo_project: Path) -> None:
    with Project(demo_project) as project:
        result = ranking.compute(project, resamples=200)
    table = result.table
    provincial = table[table["tier"] == "provincial"]
    assert 0 < len(provincial) <= 10
    assert provincial.groupby("direction_id").size().max() <= 2
    assert (provincial["requested_level"] == "provincial").all()
    assert table["reason"].str.len().gt(0).all()
    # Every provincial score beats every municipal one that asked for provincial, unless
    # its direction was full.
    assert not table[table["eligible"] == False]["tier"].ne("ineligible").any()  # noqa: E712
    assert result.config["rubric_hash"] and result.config["method"] == "trimmed"
    assert table["p_provincial"].between(0, 1).all()
    assert result.reliability and all("icc" in entry for entry in result.reliability)
    assert len(result.experts) > 0 and (~result.experts["explained"]).all()


def test_same_inputs_give_identical_results(demo_project: Path) -> None:
    with Project(demo_project) as project:
        first = ranking.compute(project, resamples=100)
        second = ranking.compute(project, resamples=100)
    dump = lambda r: json.dumps(r.rows(), ensure_ascii=False, sort_keys=True)  # noqa: E731
    assert dump(first) == dump(second)


def test_what_if_shows_the_candidates_that_change(demo_project: Path) -> None:
    with Project(demo_project) as project:
        base = ranking.compute(project, resamples=0)
        fewer = ranking.compute(project, resamples=0, target=5)
    changed = ranking.what_if(base, fewer)
    assert len(changed) == 5
    assert set(changed["tier_before"]) == {"provincial"}
    assert set(changed["tier_after"]) == {"municipal"}


def test_adjust_explain_and_finalise_are_recorded_and_locked(demo_project: Path) -> None:
    with Project(demo_project) as project:
        result = ranking.compute(project, resamples=0)
        eleventh = result.table[result.table["tier"] == "municipal"].iloc[0]
        with pytest.raises(ranking.RankingError):
            ranking.adjust(project, int(eleventh["dossier_id"]), "provincial", "  ")
        ranking.adjust(
            project, int(eleventh["dossier_id"]), "provincial", "联席会议认定其示范作用突出"
        )
        with pytest.raises(ranking.RankingError, match=r"deviating|畸高畸低"):
            ranking.finalise(project)
        for flag in result.experts.itertuples():
            ranking.explain_deviation(
                project, int(flag.dossier_id), int(flag.expert_id), "专家书面说明：已复核材料"
            )
        adjusted = ranking.compute(project, resamples=0)
        row = adjusted.table[adjusted.table["dossier_id"] == eleventh["dossier_id"]].iloc[0]
        assert row["tier"] == "municipal" and row["adjusted_tier"] == "provincial"
        assert row["adjustment_reason"] == "联席会议认定其示范作用突出"
        content_hash = ranking.finalise(project)
        assert len(content_hash) == 64
        final = ranking.compute(project, resamples=0)
        assert final.finalised and final.finalised["content_hash"] == content_hash
        assert final.finalised["changed_since"] == []
        # A score changed behind the list's back: the list no longer matches what was locked.
        top = final.table.iloc[0]
        with project.transaction() as session:
            sheet = session.scalars(
                select(m.ScoreSheet).where(m.ScoreSheet.dossier_id == int(top["dossier_id"]))
            ).first()
            for score in sheet.scores:
                score.points = 0
        stale = ranking.compute(project, resamples=0)
        assert stale.finalised["changed_since"] and top["code"] in stale.finalised["changed_since"]
        with pytest.raises(ranking.RankingError):
            ranking.adjust(project, int(eleventh["dossier_id"]), "municipal", "再次调整理由")
        with pytest.raises(ranking.RankingError):
            ranking.finalise(project)
        actions = _actions(project)
        assert project.verify_audit().intact
    assert "committee.adjust" in actions
    assert actions.count("deviation.explain") == len(result.experts)
    assert actions[-1] == "ranking.finalise"


def test_rank_command_prints_the_list(demo_project: Path) -> None:
    table = run_cli("rank", str(demo_project), "--resamples", "0", module="review_desk")
    assert table.returncode == 0, table.stderr
    assert "省级基地" in table.stdout
    data = run_cli("rank", str(demo_project), "--json", "--target", "4", "--resamples", "0")
    assert data.returncode == 0, data.stderr
    rows = json.loads(data.stdout)["rows"]
    assert sum(r["tier"] == "provincial" for r in rows) == 4
    refused = run_cli("finalise", str(demo_project), module="review_desk")
    assert refused.returncode == 2 and "畸高畸低" in refused.stderr
