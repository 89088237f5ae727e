"""The verification bundle (核验包) through the command line, on the finalised demo: it
verifies from the bundle alone (another folder, the project deleted); a changed score,
parameter or adjustment fails and is named; it holds no expert's name or contact; a
damaged or hostile file is refused with a located message (exit 2)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from review_desk import verification_read
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.support import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(finalised_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finalised demo's bundle, written once through the command line."""
    folder = tmp_path_factory.mktemp("bundle")
    project = copy_project(finalised_source, folder / "final.rdp")
    result = run_cli("bundle", str(project), "--out", str(folder / "核验包.zip"))
    assert result.returncode == 0, result.stderr
    return folder / "核验包.zip"


@pytest.fixture(scope="module")
def published(finalised_source: Path) -> tuple[str, list[dict[str, Any]]]:
    """The finalised list's hash and rows as the project stores them."""
    with Project(finalised_source) as project, project.reading() as session:
        final = session.scalars(select(m.FinalList)).one()
        return final.content_hash, list(final.rows)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _edited(
    source: Path, target: Path, member: str, change: Callable[[dict[str, Any]], None]
) -> Path:
    """A copy of the bundle with one JSON member changed."""
    members = _members(source)
    document = json.loads(members[member])
    change(document)
    members[member] = json.dumps(document, ensure_ascii=False).encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def test_the_demo_bundle_verifies_on_its_own_in_another_folder(
    finalised_source: Path, tmp_path: Path, published: tuple[str, list[dict[str, Any]]]
) -> None:
    project = copy_project(finalised_source, tmp_path / "final.rdp")
    target = tmp_path / "out" / "核验包.zip"
    made = run_cli("bundle", str(project), "--out", str(target), "--json")
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["content_hash"] == published[0]
    assert summary["experts"] == 10 and summary["sheets"] == 130
    # Nothing of the project is left: no file, no file store.
    for leftover in tmp_path.glob("final.rdp*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    assert not list(tmp_path.glob("final.rdp*"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b.zip").write_bytes(target.read_bytes())
    target.unlink()
    env = {**os.environ, "HOME": str(elsewhere), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "review_desk", "verify", "b.zip"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "核验通过" in result.stdout
    assert published[0] in result.stdout


def test_verify_with_the_published_hash_and_json(
    bundle: Path, published: tuple[str, list[dict[str, Any]]]
) -> None:
    result = run_cli("verify", str(bundle), "--hash", published[0].upper(), "--json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["matches"] and report["recomputed_hash"] == published[0]
    assert report["audit_head"]["intact"] and len(report["audit_head"]["last_hash"]) == 64
    other = run_cli("verify", str(bundle), "--hash", "0" * 64)
    assert other.returncode == 1
    assert "0" * 64 in other.stdout


def test_a_changed_criterion_score_fails_naming_the_dossier(bundle: Path, tmp_path: Path) -> None:
    changed: dict[str, str] = {}

    def lower_a_score(scores: dict[str, Any]) -> None:
        sheet = scores["sheets"][0]
        criterion = next(iter(sheet["scores"]))
        sheet["scores"][criterion] -= 2.5
        changed["code"] = sheet["dossier"]

    edited = _edited(bundle, tmp_path / "b.zip", "scores.json", lower_a_score)
    result = run_cli("verify", str(edited))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "核验未通过" in result.stdout
    line = next(line for line in result.stdout.splitlines() if changed["code"] in line)
    assert "得分" in line


def test_a_changed_parameter_fails_naming_it(bundle: Path, tmp_path: Path) -> None:
    edited = _edited(
        bundle,
        tmp_path / "b.zip",
        "parameters.json",
        lambda p: p["config"].update(provincial_target=9),
    )
    result = run_cli("verify", str(edited), "--json")
    assert result.returncode == 1
    differences = json.loads(result.stdout)["differences"]
    assert "参数 provincial_target 与发布时不同：发布时为 10，核验包中为 9。" in differences

    # A weight changed in the rubric itself is named too (the rubric no longer gives
    # its hash, and the weight follows from it).
    def heavier_defense(rubric: dict[str, Any]) -> None:
        stages = rubric["versions"][0]["source"]["stage"]
        stages[0]["weight"], stages[1]["weight"] = 0.4, 0.4

    edited = _edited(bundle, tmp_path / "r.zip", "rubric.json", heavier_defense)
    result = run_cli("verify", str(edited))
    assert result.returncode == 1
    assert "参数 weights 与发布时不同" in result.stdout
    assert "参数 rubric_hash 与发布时不同" in result.stdout
    # A parameter no list can be computed with is named, not a crash.
    edited = _edited(
        bundle,
        tmp_path / "t.zip",
        "parameters.json",
        lambda p: p["config"].update(tie_breaks=["家世"]),
    )
    result = run_cli("verify", str(edited))
    assert result.returncode == 1, result.stderr
    assert "参数 tie_breaks 与发布时不同" in result.stdout
    assert "无法计算名单" in result.stdout


def test_a_removed_or_changed_adjustment_fails_naming_the_dossier(
    bundle: Path, tmp_path: Path
) -> None:
    decisions = json.loads(_members(bundle)["decisions.json"])
    code = decisions["adjustments"][0]["code"]
    removed = _edited(
        bundle, tmp_path / "a.zip", "decisions.json", lambda d: d["adjustments"].clear()
    )
    result = run_cli("verify", str(removed))
    assert result.returncode == 1
    assert f'申报书 {code}：调整后层级发布为 "provincial"，重算为 "municipal"' in result.stdout
    reworded = _edited(
        bundle,
        tmp_path / "r.zip",
        "decisions.json",
        lambda d: d["adjustments"][0].update(reason="另一个理由"),
    )
    result = run_cli("verify", str(reworded))
    assert result.returncode == 1
    assert f"申报书 {code}：调整理由" in result.stdout


def test_a_changed_final_list_fails(bundle: Path, tmp_path: Path) -> None:
    def promote(final: dict[str, Any]) -> None:
        final["rows"][-1]["adjusted_tier"] = "provincial"

    result = run_cli("verify", str(_edited(bundle, tmp_path / "f.zip", "final_list.json", promote)))
    assert result.returncode == 1
    assert "final_list.json 已被改动" in result.stdout


def test_the_bundle_holds_no_expert_name_id_or_contact(
    bundle: Path, finalised_source: Path
) -> None:
    with Project(finalised_source) as project, project.reading() as session:
        experts = session.execute(select(m.Expert.name, m.Expert.phone, m.Expert.email)).all()
    words = {w for row in experts for w in row if w}
    assert len(words) > 20
    raw = bundle.read_bytes()
    members = _members(bundle)
    assert set(members) == set(verification_read.MEMBERS)
    for word in words:
        encoded = word.encode("utf-8")
        assert encoded not in raw, word
        for name, data in members.items():
            assert encoded not in data, (word, name)
    # Experts appear only by pseudonym; no expert id anywhere.
    scores = json.loads(members["scores.json"])
    pseudonyms = [e["expert"] for e in scores["experts"]]
    assert pseudonyms == [f"专家{n:02d}" for n in range(1, 11)]
    assert {s["expert"] for s in scores["sheets"]} == set(pseudonyms)
    for name, data in members.items():
        assert b"expert_id" not in data, name


def test_not_finalised_is_refused(demo_readonly: Path | str, tmp_path: Path) -> None:
    result = run_cli("bundle", str(demo_readonly), "--out", str(tmp_path / "b.zip"))
    assert result.returncode == 2
    assert "名单尚未定稿" in result.stderr
    assert not (tmp_path / "b.zip").exists()


def test_a_bundle_is_refused_once_the_data_no_longer_give_the_list(
    finalised_project: Path | str, tmp_path: Path
) -> None:
    """On this run's backend: the bundle verifies, then a score changed after
    finalising (raw SQL) makes the project refuse to write one, naming the dossier."""
    made = run_cli("bundle", str(finalised_project), "--out", str(tmp_path / "ok.zip"))
    assert made.returncode == 0, made.stderr
    assert run_cli("verify", str(tmp_path / "ok.zip")).returncode == 0
    with Project(finalised_project) as opened, opened.writing() as session:
        sheet, code = session.execute(
            select(m.ScoreSheet.id, m.Dossier.code)
            .join(m.Dossier, m.Dossier.id == m.ScoreSheet.dossier_id)
            .where(m.ScoreSheet.status == "submitted")
            .order_by(m.ScoreSheet.id)
            .limit(1)
        ).one()
        session.execute(
            text("UPDATE score SET points = 0 WHERE sheet_id = :sheet"), {"sheet": sheet}
        )
    result = run_cli("bundle", str(finalised_project), "--out", str(tmp_path / "b.zip"))
    assert result.returncode == 2
    assert "项目现有数据已不能得出定稿名单" in result.stderr
    assert code in result.stderr
    assert not (tmp_path / "b.zip").exists()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated", "不是可读取的 zip 压缩包"),
        ("garbage", "不是可读取的 zip 压缩包"),
        ("missing", "缺少 scores.json"),
        ("bad json", "scores.json：不是有效的 JSON"),
        ("wrong type", "scores.json: sheets[3].scores"),
        ("boolean score", "scores.json: sheets[3].scores"),
        ("huge score", "scores.json: sheets[3].scores"),
        ("nan", "scores.json：不是有效的 JSON"),
        ("unknown dossier", "scores.json: sheets[0]：核验包中没有编号为 999999 的申报书"),
        ("not a bundle", "manifest.json：不是 Review Desk 核验包"),
        ("parameter type", "parameters.json: config.provincial_target：应为整数"),
        ("direction id", "parameters.json: config.direction_caps：东部 不是产业方向的编号"),
        ("weights type", "parameters.json: config.weights"),
        ("min_score type", "parameters.json: config.min_score"),
        ("unsafe name", "不安全"),
    ],
)
def test_an_unreadable_bundle_is_refused_with_where(
    bundle: Path, tmp_path: Path, damage: str, message: str
) -> None:
    members = _members(bundle)
    target = tmp_path / "b.zip"
    if damage == "truncated":
        target.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    elif damage == "garbage":
        target.write_bytes(os.urandom(4096))
    elif damage == "missing":
        _zip(target, {k: v for k, v in members.items() if k != "scores.json"})
    elif damage == "bad json":
        _zip(target, {**members, "scores.json": members["scores.json"][:-10]})
    elif damage in ("wrong type", "boolean score", "huge score"):
        # (Scores are checked a sheet at once, and one by one to name the bad one.)
        scores = json.loads(members["scores.json"])
        first = next(iter(scores["sheets"][3]["scores"]))
        bad = {"wrong type": "八", "boolean score": True, "huge score": 10**400}[damage]
        scores["sheets"][3]["scores"][first] = bad
        _zip(target, {**members, "scores.json": json.dumps(scores).encode()})
    elif damage == "nan":
        _zip(target, {**members, "scores.json": members["scores.json"].replace(b"8.5", b"NaN", 1)})
    elif damage == "unknown dossier":
        scores = json.loads(members["scores.json"])
        scores["sheets"][0]["dossier_id"] = 999999
        _zip(target, {**members, "scores.json": json.dumps(scores).encode()})
    elif damage in ("parameter type", "direction id", "weights type", "min_score type"):
        parameters = json.loads(members["parameters.json"])
        if damage == "parameter type":
            parameters["config"]["provincial_target"] = "十"
        elif damage == "weights type":
            parameters["config"]["weights"] = "x"
        elif damage == "min_score type":
            parameters["config"]["min_score"] = "5"
        else:
            parameters["config"]["direction_caps"] = {"东部": 1}
        _zip(target, {**members, "parameters.json": json.dumps(parameters).encode()})
    elif damage == "not a bundle":
        _zip(target, {**members, "manifest.json": b'{"format": "something else"}'})
    else:
        _zip(target, {**members, "../evil.txt": b"x"})
    result = run_cli("verify", str(target))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "意外错误" not in result.stderr


def test_a_zip_bomb_is_refused_without_reading_it(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _members(bundle)
    # A member that inflates beyond the limit (its header honest), and one whose header
    # understates what it inflates to: both stop at the limit.
    monkeypatch.setattr(verification_read, "MAX_TOTAL", 4 * 1024**2)
    declared = _zip(tmp_path / "declared.zip", {**members, "README.txt": b"\0" * (5 * 1024**2)})
    result = run_cli("verify", str(declared))
    assert result.returncode == 2
    assert "MB" in result.stderr
    monkeypatch.setattr(verification_read, "MAX_MEMBER", 1024**2)
    bomb = _zip(tmp_path / "bomb.zip", {**members, "README.txt": b"\0" * (3 * 1024**2)})
    result = run_cli("verify", str(bomb))
    assert result.returncode == 2
    assert re.search(r"README\.txt.*(超|大)", result.stderr), result.stderr


def test_sheets_under_two_rubric_versions_verify(explained_source: Path, tmp_path: Path) -> None:
    """Experts who scored again under a newer rubric version: the bundle carries both
    versions, the later sheet counts as in the project, and the list verifies."""
    from datetime import UTC, datetime

    from review_desk import ranking, ranking_decisions
    from review_desk.rubrics import default_rubric_text, use_rubric

    path = copy_project(explained_source, tmp_path / "v2.rdp")
    newer = default_rubric_text().replace('version = "2022.1"', 'version = "2022.2"', 1)
    with Project(path) as project:
        version = use_rubric(project, newer).content_hash
        now = datetime.now(UTC)
        with project.writing() as session:
            earlier = session.scalars(
                select(m.ScoreSheet).where(m.ScoreSheet.status == "submitted").limit(6)
            ).all()
            for sheet in earlier:
                session.add(
                    m.ScoreSheet(
                        expert_id=sheet.expert_id,
                        dossier_id=sheet.dossier_id,
                        rubric_hash=version,
                        status="submitted",
                        updated_at=now,
                        submitted_at=now,
                        scores=[
                            m.Score(criterion_id=s.criterion_id, points=max(s.points - 1, 0))
                            for s in sheet.scores
                            if s.points is not None
                        ],
                    )
                )
        for flag in ranking.compute(project, resamples=0).experts.itertuples():
            if not flag.explained:
                ranking_decisions.explain_deviation(
                    project, int(flag.dossier_id), int(flag.expert_id), "专家书面说明：已复核"
                )
        ranking_decisions.finalise(project)
    target = tmp_path / "b.zip"
    made = run_cli("bundle", str(path), "--out", str(target), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["sheets"] == 136
    members = _members(target)
    assert len(json.loads(members["rubric.json"])["versions"]) == 2
    assert run_cli("verify", str(target)).returncode == 0
    # The later sheets are what counts: without them the list is another one.
    without = _edited(
        target,
        tmp_path / "w.zip",
        "scores.json",
        lambda d: d.update(sheets=[s for s in d["sheets"] if s["rubric"] != version]),
    )
    result = run_cli("verify", str(without))
    assert result.returncode == 1
    assert "得分发布为" in result.stdout


def test_an_expert_named_in_an_explanation_is_pseudonymised(
    finalised_source: Path, tmp_path: Path
) -> None:
    path = copy_project(finalised_source, tmp_path / "final.rdp")
    with Project(path) as project, project.writing() as session:
        note = session.scalars(select(m.DeviationNote).order_by(m.DeviationNote.id)).first()
        assert note is not None
        expert = session.get(m.Expert, note.expert_id)
        other = session.scalars(select(m.Expert).where(m.Expert.id != note.expert_id)).first()
        assert expert is not None and other is not None and expert.phone
        words = (expert.name, expert.phone, other.name)
        note.text = f"{expert.name}（{expert.phone}）说明：与{other.name}意见不同"
        code = session.get(m.Dossier, note.dossier_id).code  # type: ignore[union-attr]
    target = tmp_path / "b.zip"
    assert run_cli("bundle", str(path), "--out", str(target)).returncode == 0
    members = _members(target)
    explanation = next(
        e for e in json.loads(members["decisions.json"])["explanations"] if e["code"] == code
    )
    pseudonym = explanation["expert"]
    assert re.fullmatch(r"专家\d\d", pseudonym)
    # The other expert is named by their own pseudonym (or a placeholder).
    said = re.fullmatch(
        rf"{pseudonym}（{pseudonym}）说明：与(专家\d\d|［专家］)意见不同", explanation["text"]
    )
    assert said is not None and said.group(1) != pseudonym, explanation["text"]
    for word in words:
        assert all(word.encode() not in data for data in members.values()), word
