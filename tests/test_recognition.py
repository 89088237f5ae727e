"""The recognition round (认定验收) through the command line, on the finalised demo's
selected bases: the round created from the list in force (bases, levels, experts, the
link both ways), construction reports taken in as supplements and formally reviewed
against the recognition checklist (a missing section flagged, no selection-only
eligibility rule applied), scores through the normal scoring and consolidation, outcomes
by threshold checked against an independent computation from the score rows, the
committee's decisions (an override needs a reason, 限期整改 a deadline), finalisation,
the recognition list and the per-base documents read back; every step audited and both
chains intact. Invalid thresholds are refused with their key path."""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from review_desk import reference
from review_desk.demo.pdfs import report_pdf
from review_desk.demo.texts import DossierFacts
from review_desk.paths import data_path
from review_desk.project import Project
from review_desk.rubrics import active_rubric, default_rubric_text, load_rubric
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.small_project import cli

ROUND = "第二批产教融合平台认定验收"
# The selection rubric's content hash, as score sheets already record it: unchanged.
SELECTION_RUBRIC_HASH = "b736f32929229d4f0cce19af7af3383b885b731a1554ce4abf0d25e0105b029f"


def _pdf_text(path: Path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages).replace(" ", "")


def _actions(location: Path) -> list[str]:
    with Project(location) as project, project.reading() as session:
        return list(session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)))


@pytest.fixture
def selection(finalised_source: Path, tmp_path: Path) -> Path:
    """A private copy of the finalised demo selection project."""
    return copy_project(finalised_source, tmp_path / "selection.rdp")


def test_create_takes_the_selected_bases(
    selection: Path, demo_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recognition = tmp_path / "recognition.rdp"
    code, out, err = cli(capsys, "recognition", "create", str(selection), "--out",
                         str(recognition), "--round-name", ROUND, "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["round_name"] == ROUND
    with Project(selection) as source, source.reading() as session:
        final = session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()
        assert final is not None
        selected = {
            r["code"]: r["adjusted_tier"]
            for r in final.rows
            if r["adjusted_tier"] in ("provincial", "municipal")
        }
        source_id = session.scalars(select(m.ReviewProject.id)).one()
        experts = sorted(session.scalars(select(m.Expert.name)))
        links = session.scalars(select(m.RecognitionLink)).all()
        partners = {
            d.code: sorted(p.applicant.name for p in d.partners)
            for d in session.scalars(select(m.Dossier)).all()
        }
    assert [link.round_name for link in links] == [ROUND]
    assert links[0].location == str(recognition)
    with Project(recognition) as project, project.reading() as session:
        dossiers = session.scalars(select(m.Dossier)).all()
        assert {d.code: d.requested_level for d in dossiers} == selected
        assert {d.code: sorted(p.applicant.name for p in d.partners) for d in dossiers} == {
            c: partners[c] for c in selected
        }
        assert sorted(session.scalars(select(m.Expert.name))) == experts
        info = project.info()
        assert info.kind == "recognition" and info.round_name == ROUND
        assert info.source_project_id == source_id
        assert (info.source_list_version, info.source_list_hash) == (
            final.version,
            final.content_hash,
        )
        assert links[0].project_id == info.id
        # The recognition rubric is installed, with its thresholds.
        rubric = active_rubric(project)
        assert rubric.outcome is not None and rubric.outcome.pass_score == 80
    assert "recognition.create" in _actions(recognition)
    assert "recognition.link" in _actions(selection)
    for location in (recognition, selection):
        assert cli(capsys, "audit", "verify", str(location))[0] == 0

    # A list that is not finalised, or a recognition round, is no source.
    unfinalised = copy_project(demo_source, tmp_path / "demo.rdp")
    for source_path in (unfinalised, recognition):
        code, _, err = cli(capsys, "recognition", "create", str(source_path), "--out",
                           str(tmp_path / "again.rdp"), "--round-name", ROUND)  # fmt: skip
        assert code == 2 and ("定稿" in err or "遴选" in err), err


def _report(folder: Path, project: Path, code: str, missing: set[str]) -> Path:
    """A construction report of base ``code`` without the items ``missing``."""
    with Project(project) as opened, opened.reading() as session:
        dossier = session.scalars(select(m.Dossier).where(m.Dossier.code == code)).one()
        facts = DossierFacts(
            applicant=dossier.lead_applicant.name,
            kind_label="",
            city=dossier.lead_applicant.city,
            direction=next(d for d in reference.directions() if d.number == dossier.direction_id),
            platform_name=dossier.platform_name,
            level_label="省级",
            partners=(),
        )
    data, _pages = report_pdf(facts, reference.checklist("recognition"), missing, random.Random(3))
    path = folder / f"{code}_{len(missing)}_建设情况报告.pdf"
    path.write_bytes(data)
    return path


def test_formal_review_against_the_recognition_checklist(
    selection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recognition = tmp_path / "recognition.rdp"
    assert cli(capsys, "recognition", "create", str(selection), "--out", str(recognition),
               "--round-name", ROUND)[0] == 0  # fmt: skip
    with Project(recognition) as project, project.reading() as session:
        base = session.scalars(select(m.Dossier.code).order_by(m.Dossier.code)).first()
    assert base is not None
    partial = _report(tmp_path, recognition, base, {"report.funds"})
    code, _, err = cli(capsys, "supplement", str(recognition), "--dossier", base, str(partial))
    assert code == 0, err
    code, out, err = cli(capsys, "review", str(recognition), "--json")
    assert code == 0, err
    review = next(r for r in json.loads(out) if r["dossier"] == base)
    assert review["verdict"] == "supplement"
    checks = {c["id"]: c for c in review["checks"]}
    assert checks["item:report.funds"]["result"] == "fail"
    assert "经费投入与使用情况" in checks["item:report.funds"]["reason"]
    recognition_items = {f"item:{i.key}" for i in reference.checklist("recognition")}
    assert all(checks[i]["result"] == "pass" for i in recognition_items - {"item:report.funds"})
    # The selection's checklist and eligibility rules are not applied to a report.
    assert not [i for i in checks if i.startswith("rule:") or i.startswith("item:plan.")]

    complete = _report(tmp_path, recognition, base, set())
    assert cli(capsys, "supplement", str(recognition), "--dossier", base, str(complete))[0] == 0
    code, out, _ = cli(capsys, "review", str(recognition), "--json")
    assert next(r for r in json.loads(out) if r["dossier"] == base)["verdict"] == "passed"


def _independent_scores(project: Path) -> dict[str, float]:
    """Each base's consolidated score from the submitted score rows: per stage, the
    experts' stage points (the highest and the lowest dropped when five or more
    scored), as a share of the stage's maximum, weighted, on the rubric's total."""
    with Project(project) as opened, opened.reading() as session:
        rubric = load_rubric(
            session.scalars(select(m.RubricVersion.text)).one()
        )  # the one version in use
        stage_of = {c.id: c.stage for c in rubric.criteria}
        points: dict[str, dict[str, dict[int, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float))
        )
        rows = session.execute(
            select(m.Dossier.code, m.ScoreSheet.id, m.Score.criterion_id, m.Score.points)
            .join(m.ScoreSheet, m.ScoreSheet.dossier_id == m.Dossier.id)
            .join(m.Score, m.Score.sheet_id == m.ScoreSheet.id)
            .where(m.ScoreSheet.status == "submitted")
        ).all()
    for code, sheet, criterion, value in rows:
        points[code][stage_of[criterion]][sheet] += value or 0.0
    scores = {}
    for code, stages in points.items():
        total = 0.0
        for stage in rubric.stages:
            values = sorted(stages[stage.key].values())
            if len(values) >= 5:
                values = values[1:-1]
            total += stage.weight * (sum(values) / len(values)) / rubric.stage_max(stage.key)
        scores[code] = total * rubric.total
    return scores


def _expected(score: float) -> str:
    return "passed" if score >= 80 else "rectify" if score >= 60 else "failed"


def test_a_full_recognition_round(
    selection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recognition = tmp_path / "recognition.rdp"
    code, out, err = cli(capsys, "demo", str(recognition), "--recognition", str(selection),
                         "--round-name", ROUND)  # fmt: skip
    assert code == 0, err

    # Every report passed the formal review against the recognition checklist.
    code, out, err = cli(capsys, "review", str(recognition), "--json")
    assert code == 0 and {r["verdict"] for r in json.loads(out)} == {"passed"}

    # Outcomes by threshold, from the ranking's consolidation.
    code, out, err = cli(capsys, "recognition", "outcomes", str(recognition), "--json")
    assert code == 0, err
    read = json.loads(out)
    rows = {r["code"]: r for r in read["bases"]}
    expected = _independent_scores(recognition)
    assert set(rows) == set(expected)
    for base, row in rows.items():
        assert row["score"] == pytest.approx(expected[base], abs=1e-6), base
        assert row["suggested"] == _expected(expected[base]), base
        assert row["outcome"] == row["suggested"] and not row["decided"]
    by_outcome = defaultdict(list)
    for base, row in sorted(rows.items()):
        by_outcome[row["suggested"]].append(base)
    assert set(by_outcome) == {"passed", "rectify", "failed"}
    rectify = by_outcome["rectify"][0]
    assert "低于通过线 80、不低于整改线 60" in rows[rectify]["suggestion"]

    # The committee decides: an override needs a written reason; 限期整改 a deadline.
    overridden = by_outcome["failed"][0]
    code, _, err = cli(capsys, "recognition", "decide", str(recognition), "--dossier",
                       overridden, "--outcome", "rectify", "--deadline", "2024-06-30")  # fmt: skip
    assert code == 2 and "理由" in err
    code, _, err = cli(capsys, "recognition", "decide", str(recognition), "--dossier",
                       overridden, "--outcome", "rectify", "--reason",
                       "经现场复核整改可行")  # fmt: skip
    assert code == 2 and "期限" in err
    code, _, err = cli(capsys, "recognition", "decide", str(recognition), "--dossier",
                       overridden, "--outcome", "rectify", "--reason", "经现场复核整改可行",
                       "--deadline", "2024-06-30")  # fmt: skip
    assert code == 0, err
    accepted = by_outcome["passed"][0]
    assert cli(capsys, "recognition", "decide", str(recognition), "--dossier", accepted,
               "--outcome", "passed")[0] == 0  # fmt: skip

    # Finalising needs every deviating score (畸高畸低) explained, as the selection's.
    _explain_all(capsys, recognition, read["deviations"])
    # Finalising needs every 限期整改's deadline.
    code, _, err = cli(capsys, "recognition", "finalise", str(recognition))
    assert code == 2 and rectify in err
    code, out, err = cli(capsys, "recognition", "finalise", str(recognition),
                         "--rectify-deadline", "2024-03-31")  # fmt: skip
    assert code == 0, err
    code, _, err = cli(capsys, "recognition", "decide", str(recognition), "--dossier",
                       accepted, "--outcome", "failed", "--reason", "再议")  # fmt: skip
    assert code == 2 and "定稿" in err
    flag = read["deviations"][0]
    code, _, err = cli(capsys, "explain", str(recognition), "--dossier", flag["code"],
                       "--expert", str(flag["expert_id"]), "--text", "定稿后的说明")  # fmt: skip
    assert code == 2 and "定稿" in err

    with Project(recognition) as project, project.reading() as session:
        final = session.scalars(select(m.RecognitionFinal)).one()
    locked = {r["code"]: r for r in final.rows}
    assert locked[overridden]["outcome"] == "rectify"
    assert locked[overridden]["reason_text"] == "经现场复核整改可行"
    assert locked[overridden]["deadline"] == "2024-06-30"
    assert locked[rectify]["deadline"] == "2024-03-31"
    assert all(locked[b]["outcome"] == "passed" for b in by_outcome["passed"])

    # The recognition list (认定名单) and the documents, read back.
    xlsx, pdf, folder = tmp_path / "认定名单.xlsx", tmp_path / "认定名单.pdf", tmp_path / "docs"
    for target in (xlsx, pdf):
        code, _, err = cli(capsys, "recognition", "list", str(recognition), "--out", str(target))
        assert code == 0, err
    sheet = load_workbook(xlsx).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    title = str(values[0][0])
    assert ROUND in title and "首批" not in title
    listed = {row[1]: row for row in values[2:] if row[1] in locked}
    assert set(listed) == set(locked)
    assert listed[overridden][7] == "限期整改" and "经现场复核整改可行" in listed[overridden][8]
    assert listed[accepted][7] == "通过"
    assert listed[by_outcome["failed"][1]][7] == "不通过"
    text = _pdf_text(pdf)
    assert ROUND in text and "认定名单" in text and final.content_hash in text
    for outcome in ("通过", "限期整改", "不通过"):
        assert outcome in text
    code, _, err = cli(capsys, "recognition", "document", str(recognition), "--all",
                       "--out", str(folder))  # fmt: skip
    assert code == 0, err
    assert len(list(folder.glob("*.pdf"))) == len(locked)
    one = tmp_path / "one.pdf"
    assert cli(capsys, "recognition", "document", str(recognition), "--dossier", overridden,
               "--out", str(one))[0] == 0  # fmt: skip
    text = _pdf_text(one)
    assert ROUND in text and "限期整改" in text and "2024年6月30日" in text
    assert "经现场复核整改可行" in text and len(PdfReader(one).pages) <= 2

    # The selection project finds the outcome through its link.
    code, out, err = cli(capsys, "recognition", "history", str(selection), "--dossier",
                         overridden, "--json")  # fmt: skip
    assert code == 0, err
    assert [(h["round_name"], h["outcome"]) for h in json.loads(out)] == [(ROUND, "rectify")]

    # Every state change audited; both chains intact.
    actions = _actions(recognition)
    for action in ("recognition.create", "material.supplement", "formal_review.verdict",
                   "panel.create", "panel.assign", "scoresheet.submit", "rubric.activate",
                   "recognition.decide", "recognition.finalise"):  # fmt: skip
        assert action in actions, action
    assert actions.count("recognition.decide") == 2
    assert "recognition.link" in _actions(selection)
    for location in (recognition, selection):
        code, out, err = cli(capsys, "audit", "verify", str(location))
        assert code == 0, err


def _explain_all(
    capsys: pytest.CaptureFixture[str], recognition: Path, deviations: list[dict[str, Any]]
) -> None:
    """Explain every deviation ``recognition outcomes --json`` listed, through the CLI."""
    for flag in deviations:
        code, _, err = cli(capsys, "explain", str(recognition), "--dossier", flag["code"],
                           "--expert", str(flag["expert_id"]), "--text",
                           "专家书面说明：已复核材料")  # fmt: skip
        assert code == 0, err


def test_finalise_waits_for_every_deviation_s_explanation(
    recognition_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The round's deviation flags are the ranking's (same flags, same reliability); an
    unexplained one blocks finalising, named by code and expert, until it is explained."""
    recognition = copy_project(recognition_source, tmp_path / "recognition.rdp")
    read = json.loads(cli(capsys, "recognition", "outcomes", str(recognition), "--json")[1])
    ranked = json.loads(cli(capsys, "rank", str(recognition), "--json", "--resamples", "0")[1])
    assert read["deviations"] == ranked["deviations"] and read["deviations"]
    assert read["reliability"] == ranked["reliability"] and read["reliability"]
    assert all(f["blocks_finalise"] and not f["explained"] for f in read["deviations"])
    assert {f["direction"] for f in read["deviations"]} <= {"high", "low"}
    last, others = read["deviations"][-1], read["deviations"][:-1]
    _explain_all(capsys, recognition, others)
    finalise = ("recognition", "finalise", str(recognition), "--rectify-deadline", "2028-06-30")
    code, _, err = cli(capsys, *finalise)
    assert code == 2 and f"{last['code']} {last['expert']}" in err, err
    assert "1 条畸高畸低分需要书面说明" in err, err
    # The text output lists it too, as ``rank`` does.
    code, out, _ = cli(capsys, "recognition", "outcomes", str(recognition))
    assert code == 0 and f"{last['code']}  {last['expert']}" in out.split("：", 1)[-1]
    # A score that does not deviate has nothing to explain.
    code, _, err = cli(capsys, "explain", str(recognition), "--dossier", last["code"],
                       "--expert", "999", "--text", "并无偏离的说明")  # fmt: skip
    assert code == 2, err
    _explain_all(capsys, recognition, [last])
    read = json.loads(cli(capsys, "recognition", "outcomes", str(recognition), "--json")[1])
    assert not any(f["blocks_finalise"] for f in read["deviations"])
    assert {f["note"] for f in read["deviations"]} == {"专家书面说明：已复核材料"}
    code, _, err = cli(capsys, *finalise)
    assert code == 0, err
    assert _actions(recognition).count("deviation.explain") == len(read["deviations"])


def _thresholds(tmp_path: Path, outcome: str) -> Path:
    text = default_rubric_text("recognition")
    start = text.index("[outcome]")
    end = text.index("[[stage]]")
    path = tmp_path / "recognition.toml"
    path.write_text(text[:start] + outcome + "\n\n" + text[end:], encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("outcome", "path"),
    [
        ("[outcome]\npass = 120\nrectify = 60", "outcome.pass"),
        ("[outcome]\npass = 70\nrectify = 75", "outcome.rectify"),
        ("[outcome]\npass = 80\nrectify = -1", "outcome.rectify"),
        ('[outcome]\npass = "高"\nrectify = 60', "outcome.pass"),
        ("[outcome]\npass = 80", "outcome.rectify"),
        ("[outcome]\npass = 80\nrectify = 60\nfail = 10", "outcome.fail"),
    ],
)
def test_invalid_thresholds_are_refused_with_their_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outcome: str, path: str
) -> None:
    rubric = _thresholds(tmp_path, outcome)
    code, out, _ = cli(capsys, "rubric", "validate", str(rubric), "--json")
    assert code == 1
    assert path in {p["path"] for p in json.loads(out)["problems"]}, out


def test_the_rubrics_as_shipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    selection = load_rubric(default_rubric_text())
    assert selection.outcome is None and selection.content_hash == SELECTION_RUBRIC_HASH
    recognition = load_rubric(default_rubric_text("recognition"))
    assert recognition.outcome is not None
    assert (recognition.outcome.pass_score, recognition.outcome.rectify_score) == (80, 60)
    assert recognition.is_template and recognition.total == 100
    # Equal thresholds are allowed (no 限期整改 band).
    rubric = _thresholds(tmp_path, "[outcome]\npass = 70\nrectify = 70")
    assert cli(capsys, "rubric", "validate", str(rubric))[0] == 0


def test_outcomes_need_a_recognition_round_with_thresholds(
    selection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "recognition", "outcomes", str(selection))
    assert code == 2 and "认定验收" in err
    recognition = tmp_path / "recognition.rdp"
    assert cli(capsys, "recognition", "create", str(selection), "--out", str(recognition),
               "--round-name", ROUND)[0] == 0  # fmt: skip
    plain = tmp_path / "plain.toml"
    shutil.copy(data_path("rubrics", "provincial_default.toml"), plain)
    assert cli(capsys, "rubric", "use", str(recognition), str(plain))[0] == 0
    code, _, err = cli(capsys, "recognition", "outcomes", str(recognition))
    assert code == 2 and "[outcome]" in err
