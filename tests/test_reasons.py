"""Reasons are records (a code with parameters), turned into text only when shown: the
allocation's reasons, the formal-review checks, the finalised list and its hash."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review_desk import formal_review as fr
from review_desk import i18n, ranking, ranking_decisions
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.small_project import cli


def _cli(*args: str, lang: str = "zh_CN") -> subprocess.CompletedProcess[str]:
    """Run the headless CLI in a given UI language."""
    return subprocess.run(
        [sys.executable, "-m", "review_desk", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env={**os.environ, "REVIEW_DESK_LANG": lang},
    )


def test_a_tie_reason_names_the_dossier_codes(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every expert gives nothing: every candidate ties with those of the same bonus
    # facts, and the ties contest the places.
    with Project(demo_project) as project, project.transaction() as session:
        for score in session.scalars(select(m.Score)):
            score.points = 0
    status, out, err = cli(capsys, "rank", str(demo_project), "--json", "--resamples", "0")
    assert status == 0, err
    rows = json.loads(out)["rows"]
    tied = [r for r in rows if r["tier"] == "tied"]
    assert len(tied) >= 2
    key = lambda r: (r["score"], r["double_high_rank"], r["tech_transfer"])  # noqa: E731
    for row in tied:
        others = sorted(o["code"] for o in tied if key(o) == key(row) and o is not row)
        assert others
        assert f"与{'、'.join(others)}同分" in row["reason"], row["reason"]
        # Database ids never appear: every number-like token is part of a code.
        assert not re.search(r"(?<![\w-])\d+(?![\w-])、", row["reason"]), row["reason"]
        assert row["reason_record"]["params"]["others"] == others


def test_the_finalised_hash_is_the_same_in_every_language(
    explained_source: Path, tmp_path: Path
) -> None:
    hashes = {}
    for lang in ("zh_CN", "en"):
        # Every deviation explained (the suite's copy, built once per run).
        path = copy_project(explained_source, tmp_path / f"{lang}.rdp")
        done = _cli("finalise", str(path), lang=lang)
        assert done.returncode == 0, done.stderr
        found = re.search(r"[0-9a-f]{64}", done.stdout)
        assert found, done.stdout
        hashes[lang] = found.group(0)
        with Project(path) as project, project.reading() as session:
            final = session.scalars(select(m.FinalList)).one()
            assert final.content_hash == hashes[lang]
            # Stored as codes with parameters, not as text of either language.
            assert all(isinstance(row["reason"], dict) for row in final.rows)
            assert {row["reason"]["code"] for row in final.rows} <= {
                "selected",
                "requested_municipal",
                "total_full",
                "ineligible",
                "unscored",
            }
    assert hashes["zh_CN"] == hashes["en"]


def test_the_hash_does_not_depend_on_the_catalog(
    explained_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = []
    for name, catalog in (("zh", None), ("identity", {})):
        path = copy_project(explained_source, tmp_path / f"{name}.rdp")
        if catalog is not None:
            monkeypatch.setattr(i18n, "_catalog", catalog)
        with Project(path) as project:
            hashes.append(ranking_decisions.finalise(project))
    assert hashes[0] == hashes[1]


def test_formal_review_records_are_the_same_in_every_language(
    demo_source: Path, tmp_path: Path
) -> None:
    stored = {}
    for lang in ("zh_CN", "en"):
        path = copy_project(demo_source, tmp_path / f"{lang}.rdp")
        done = _cli("review", str(path), "--json", lang=lang)
        assert done.returncode == 0, done.stderr
        with Project(path) as project, project.reading() as session:
            stored[lang] = {
                r.dossier_id: (r.checks, r.department)
                for r in session.scalars(select(m.FormalReview))
            }
    assert stored["zh_CN"] == stored["en"]
    some = next(iter(stored["en"].values()))[0][0]
    assert set(some["reason"]) == {"code", "params"}


def test_review_command_shows_the_reasons_in_chinese(demo_readonly: Path) -> None:
    done = _cli("review", str(demo_readonly), "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["applicant"]: r for r in json.loads(done.stdout)}
    yangquan = rows["阳泉新材料科技有限公司"]
    rule = next(c for c in yangquan["checks"] if c["id"] == "rule:R2-pilot-enterprise")
    assert rule["label"] == "揭榜条件第 2 条"
    assert rule["reason"].startswith(
        "既未纳入试点企业培育范围，也未同步申请入库：“企业作为申报主体"
    )
    assert rule["reason_record"]["code"] == "pilot_missing"
    assert any(r.startswith("揭榜条件第 2 条：既未纳入") for r in yangquan["reasons"])
    assert yangquan["department"] == "省国资委/工信厅/小企业局"


def test_old_text_records_are_shown_as_they_are(
    demo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Projects written before reasons were codes keep their text, shown unchanged."""
    with Project(demo_project) as project:
        fr.run_review(project)
        with project.transaction() as session:
            review = session.scalars(select(m.FormalReview).order_by(m.FormalReview.id)).first()
            review.checks = [
                {
                    "id": "rule:R1-policy-list",
                    "label": "条件1",
                    "result": "fail",
                    "reason": "旧版本写下的理由：缺少政策清单",
                    "severity": "soft",
                    "page": None,
                    "material_id": None,
                }
            ]
            review.department = "省发展改革委"
            code = review.dossier.code
    target = tmp_path / "results.xlsx"
    status, _out, err = cli(
        capsys, "export", str(demo_project), "--out", str(target), "--resamples", "0"
    )
    assert status == 0, err
    sheet = load_workbook(target, read_only=True)["形式审查"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == code)
    assert "条件1：旧版本写下的理由：缺少政策清单" in row
    assert "省发展改革委" in row


def test_the_codec_keeps_records_and_old_text() -> None:
    from review_desk.reasons import Reason, decode, encode, render
    from scoring_models.reasons import AllocationReason

    reason = Reason(AllocationReason.TIED, {"others": ("SX-15-0031",), "score": 81.5})
    stored = json.loads(json.dumps(encode(reason)))
    assert stored == {"code": "tied", "params": {"others": ["SX-15-0031"], "score": 81.5}}
    assert decode(stored) == reason
    assert decode("旧的理由") == "旧的理由" and render("旧的理由") == "旧的理由"
    assert render(decode(stored)) == "与SX-15-0031同分（81.5），争夺剩余名额，由委员会决定"
    assert render(None) == ""


def test_a_list_finalised_with_text_reasons_still_reads(
    finalised_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list finalised by an older version holds its reasons as text."""
    with Project(finalised_project) as project:
        with project.transaction() as session:
            final = session.scalars(select(m.FinalList)).one()
            final.rows = [{**row, "reason": "入选：旧版本的理由"} for row in final.rows]
        result = ranking.compute(project, resamples=0)
        assert result.finalised is not None and result.finalised.changed_since == ()
    target = tmp_path / "publicity.xlsx"
    status, _out, err = cli(capsys, "publicity", str(finalised_project), "--out", str(target))
    assert status == 0, err
