"""The ranked list on the demo project: quotas, reasons, reproducibility, deviation
explanations, committee adjustments and finalisation (all in the audit log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import ranking, ranking_decisions
from review_desk.project import Project
from review_desk.storage import models as m
from tests.backends import NewLocation
from tests.small_project import cli
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
    assert result.config.rubric_hash and result.config.method == "trimmed"
    assert table["p_provincial"].between(0, 1).all()
    assert result.reliability and all(entry.panel for entry in result.reliability)
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
            ranking_decisions.adjust(project, int(eleventh["dossier_id"]), "provincial", "  ")
        ranking_decisions.adjust(
            project, int(eleventh["dossier_id"]), "provincial", "联席会议认定其示范作用突出"
        )
        with pytest.raises(ranking.RankingError, match=r"deviating|畸高畸低"):
            ranking_decisions.finalise(project)
        for flag in result.experts.itertuples():
            ranking_decisions.explain_deviation(
                project, int(flag.dossier_id), int(flag.expert_id), "专家书面说明：已复核材料"
            )
        adjusted = ranking.compute(project, resamples=0)
        row = adjusted.table[adjusted.table["dossier_id"] == eleventh["dossier_id"]].iloc[0]
        assert row["tier"] == "municipal" and row["adjusted_tier"] == "provincial"
        assert row["adjustment_reason"] == "联席会议认定其示范作用突出"
        content_hash = ranking_decisions.finalise(project)
        assert len(content_hash) == 64
        final = ranking.compute(project, resamples=0)
        assert final.finalised and final.finalised.content_hash == content_hash
        assert final.finalised.changed_since == ()
        # A score changed behind the list's back: the list no longer matches what was locked.
        top = final.table.iloc[0]
        with project.transaction() as session:
            sheet = session.scalars(
                select(m.ScoreSheet).where(m.ScoreSheet.dossier_id == int(top["dossier_id"]))
            ).first()
            for score in sheet.scores:
                score.points = 0
        stale = ranking.compute(project, resamples=0)
        assert stale.finalised.changed_since and top["code"] in stale.finalised.changed_since
        with pytest.raises(ranking.RankingError):
            ranking_decisions.adjust(
                project, int(eleventh["dossier_id"]), "municipal", "再次调整理由"
            )
        with pytest.raises(ranking.RankingError):
            ranking_decisions.finalise(project)
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
    # A refused parameter, through the real entry point (the other refusals run in-process
    # in test_bad_rank_parameters_are_refused).
    bad = run_cli("rank", str(demo_project), "--target", "-1", module="review_desk")
    assert bad.returncode == 2 and bad.stdout == "", bad.stdout
    assert "--target" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def _first_flag(project_path: Path) -> tuple[str, int, str]:
    """The first deviation flag of a project: dossier code, expert id, expert name."""
    with Project(project_path) as project:
        result = ranking.compute(project, resamples=0)
    flag = result.experts.iloc[0]
    code = result.table.loc[result.table["dossier_id"] == flag["dossier_id"], "code"].iloc[0]
    return str(code), int(flag["expert_id"]), str(flag["expert"])


def _note(project_path: Path, code: str, expert_id: int) -> str | None:
    with Project(project_path) as project, project.reading() as session:
        return session.scalar(
            select(m.DeviationNote.text)
            .join(m.Dossier, m.Dossier.id == m.DeviationNote.dossier_id)
            .where(m.Dossier.code == code, m.DeviationNote.expert_id == expert_id)
        )


def test_explain_after_finalising_is_refused_and_the_text_kept(finalised_project: Path) -> None:
    code, expert_id, _name = _first_flag(finalised_project)
    before = _note(finalised_project, code, expert_id)
    assert before
    run = run_cli(
        "explain", str(finalised_project), "--dossier", code, "--expert", str(expert_id),
        "--text", "定稿后改写的说明文字", module="review_desk",
    )  # fmt: skip
    assert run.returncode == 2, run.stdout
    assert "定稿" in run.stderr and "Traceback" not in run.stderr
    assert _note(finalised_project, code, expert_id) == before


def test_explain_for_an_expert_without_that_deviation_is_refused(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Project(demo_project) as project:
        result = ranking.compute(project, resamples=0)
    flagged = set(zip(result.experts["dossier_id"], result.experts["expert_id"], strict=True))
    # An expert with a sheet on the dossier but no flag, and an expert with no sheet at all.
    totals = result.totals
    calm = totals[
        [
            (d, e) not in flagged
            for d, e in zip(totals["dossier_id"], totals["expert_id"], strict=True)
        ]
    ].iloc[0]
    code = result.table.loc[result.table["dossier_id"] == calm["dossier_id"], "code"].iloc[0]
    scored = set(totals.loc[totals["dossier_id"] == calm["dossier_id"], "expert_id"])
    with Project(demo_project) as project, project.reading() as session:
        stranger = next(e for e in session.scalars(select(m.Expert.id)) if e not in scored)
    for expert_id in (int(calm["expert_id"]), int(stranger)):
        # In-process: the real entry point of explain is run in the test above.
        code_, out, err = cli(
            capsys, "explain", str(demo_project), "--dossier", str(code),
            "--expert", str(expert_id), "--text", "没有偏离也写一条说明",
        )  # fmt: skip
        assert code_ == 2, (expert_id, out)
        assert "偏离" in err or "畸高畸低" in err, err
        assert _note(demo_project, str(code), expert_id) is None


def test_finalise_with_unexplained_deviations_lists_the_dossiers_and_experts(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process: test_rank_command_prints_the_list runs rank and finalise for real."""
    with Project(demo_project) as project:
        result = ranking.compute(project, resamples=0)
    codes = dict(zip(result.table["dossier_id"], result.table["code"], strict=True))
    code, _out, err = cli(capsys, "finalise", str(demo_project))
    assert code == 2
    assert not result.experts.empty
    for flag in result.experts.itertuples():
        assert codes[flag.dossier_id] in err
        assert str(flag.expert) in err
    # rank shows which deviations block finalising, and --json names them by code.
    code, out, err = cli(capsys, "rank", str(demo_project), "--resamples", "0")
    assert code == 0, err
    assert "阻止定稿" in out
    code, out, err = cli(capsys, "rank", str(demo_project), "--json", "--resamples", "0")
    assert code == 0, err
    deviations = json.loads(out)["deviations"]
    assert deviations and all(d["code"] == codes[d["dossier_id"]] for d in deviations)
    assert all(d["expert"] and d["blocks_finalise"] for d in deviations)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--target", "-1"),
        ("--target", "0"),
        ("--cap", "0"),
        ("--resamples", "-5"),
        ("--min-score", "200"),
        ("--min-score", "-1"),
        ("--trim-min", "0"),
    ],
)
def test_bad_rank_parameters_are_refused(
    demo_readonly: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (an exception would fail the test): test_rank_command_prints_the_list
    # runs one refusal through the real entry point.
    code, out, err = cli(capsys, "rank", str(demo_readonly), option, value)
    assert code == 2, out
    assert "Traceback" not in err and out == ""
    assert option in err or "满分" in err, err


def test_finalise_on_a_project_with_nothing_scored_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new_location: NewLocation
) -> None:
    from tests.small_project import make_project

    project = make_project(tmp_path, capsys, location=new_location("p"))
    code, _out, err = cli(capsys, "finalise", str(project))
    assert code == 2 and "评分" in err, err
    with Project(project) as opened, opened.reading() as session:
        assert session.scalar(select(m.FinalList.id)) is None


def test_an_unscored_eligible_dossier_has_its_own_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new_location: NewLocation
) -> None:
    from tests.small_project import make_project

    project = make_project(tmp_path, capsys, tech_transfer="有", location=new_location("p"))
    code, out, err = cli(capsys, "rank", str(project), "--json", "--resamples", "0")
    assert code == 0, err
    (row,) = json.loads(out)["rows"]
    assert row["verdict"] == "passed"
    assert row["reason_record"] == {"code": "unscored", "params": {}}
    assert row["reason"] == "尚无已提交的评分表"
    assert row["bonus"] == 2.0  # what its facts give (有重大科技转化成果)
    code, out, _err = cli(capsys, "rank", str(project), "--resamples", "0")
    assert "尚无已提交的评分表" in out and "形式审查未通过" not in out
