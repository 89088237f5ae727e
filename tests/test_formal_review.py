"""The formal review on the demo project: verdicts with reasons, overrides, supplements."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import formal_review as fr
from review_desk import reference
from review_desk.demo.pdfs import dossier_pdf
from review_desk.demo.texts import DossierFacts
from review_desk.domain import CheckResult
from review_desk.intake.supplement import SupplementError, add_supplement
from review_desk.project import Project
from review_desk.storage import models as m
from tests.support import run_cli

EXPECTED = {
    "大同建筑职业技术学院": fr.FAILED,  # discipline group does not match + a section missing
    "运城应用技术学院": fr.FAILED,  # discipline group does not match
    "华启职教服务（上海）有限公司": fr.FAILED,  # no Shanxi subsidiary, no policy list
    "阳泉新材料科技有限公司": fr.SUPPLEMENT,  # budget and agreements missing, not in the pool
    "吕梁特色轻工集团有限公司": fr.SUPPLEMENT,  # 预期效益 missing
    "忻州市人民政府": fr.SUPPLEMENT,  # land and space proof missing
    "晋城市人民政府": None,  # a scan: to be checked by hand
    "朔州绿色建材有限公司": None,  # late
}


def _by_applicant(rows: list[fr.ReviewRow]) -> dict[str, fr.ReviewRow]:
    return {r.applicant: r for r in rows}


def test_demo_verdicts_and_reasons(demo_readonly: Path) -> None:
    with Project(demo_readonly) as project:
        rows = fr.reviews(project)
        with project.reading() as session:
            dossiers = len(session.scalars(select(m.Dossier.id)).all())
    assert len(rows) == dossiers > 0
    by_applicant = _by_applicant(rows)
    for applicant, verdict in EXPECTED.items():
        assert by_applicant[applicant].verdict == verdict, (
            applicant,
            by_applicant[applicant].reasons,
        )
    others = [r for r in rows if r.applicant not in EXPECTED]
    assert all(r.verdict == fr.PASSED for r in others)
    yangquan = by_applicant["阳泉新材料科技有限公司"]
    failed = {c.id for c in yangquan.checks if c.result == CheckResult.FAIL}
    assert failed == {"item:plan.budget", "item:support.agreements", "rule:R2-pilot-enterprise"}
    rule = next(c for c in yangquan.checks if c.id == "rule:R2-pilot-enterprise")
    assert "试点企业" in rule.reason_text  # the reason quotes the condition
    found = next(c for c in yangquan.checks if c.id == "item:plan.goals")
    assert found.result == CheckResult.PASS and found.page is not None and found.page >= 2
    college = by_applicant["山西能源职业技术学院"]
    assert college.department == fr.department_for("vocational_college")
    assert any(
        c.id == "rule:R5-double-high-preference" and c.result == CheckResult.INFO
        for c in college.checks
    )


def test_override_with_reason_changes_the_verdict(demo_project: Path) -> None:
    with Project(demo_project) as project:
        row = _by_applicant(fr.reviews(project))["吕梁特色轻工集团有限公司"]
        with pytest.raises(fr.ReviewError):
            fr.override(project, row.dossier_id, "item:plan.benefits", fr.PASS, "")
        changed = fr.override(
            project,
            row.dossier_id,
            "item:plan.benefits",
            fr.PASS,
            "预期效益写在第 3 页“建设目标”一节末尾。",
            actor="张审查",
        )
        assert changed.verdict == fr.PASSED
        check = next(c for c in changed.checks if c.id == "item:plan.benefits")
        assert check.overridden and "张审查" in check.reason_text
        # Running the checks again keeps the decision.
        rerun = _by_applicant(fr.run_review(project))["吕梁特色轻工集团有限公司"]
        assert rerun.verdict == fr.PASSED
        assert project.verify_audit().intact
        with project.reading() as s:
            actions = s.scalars(
                select(m.AuditLog.action).order_by(m.AuditLog.id.desc()).limit(5)
            ).all()
        assert "formal_review.override" in actions


def test_supplement_replaces_the_material_and_keeps_history(
    demo_project: Path, tmp_path: Path
) -> None:
    with Project(demo_project) as project:
        row = _by_applicant(fr.reviews(project))["吕梁特色轻工集团有限公司"]
        direction = next(d for d in reference.directions() if d.number == row.direction_number)
        facts = DossierFacts(row.applicant, "企业", "吕梁市", direction, "基地", "市级", ())
        pdf, _pages = dossier_pdf(facts, reference.checklist(), set(), random.Random(9))
        new_file = tmp_path / "吕梁_补正.pdf"
        new_file.write_bytes(pdf)
        deadline = datetime.fromisoformat("2022-02-10T17:00+08:00")
        requested = fr.request_supplement(project, row.dossier_id, deadline)
        assert requested.supplement_deadline == deadline
        material = add_supplement(project, row.code, new_file)
        assert material.version == 2
        with project.reading() as s:
            versions = s.scalars(
                select(m.Material).where(m.Material.dossier_id == row.dossier_id)
            ).all()
        assert [(v.version, v.is_current) for v in sorted(versions, key=lambda v: v.version)] == [
            (1, False),
            (2, True),
        ]
        assert all(project.files.contains(v.sha256) for v in versions)
        after = _by_applicant(fr.reviews(project))["吕梁特色轻工集团有限公司"]
        assert after.verdict == fr.PASSED
        with pytest.raises(SupplementError):
            add_supplement(project, row.code, new_file)  # the same file again


def test_review_cli_json_override_and_export(
    demo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from openpyxl import load_workbook

    from tests.small_project import cli

    with Project(demo_project) as project, project.reading() as session:
        dossiers = len(session.scalars(select(m.Dossier.id)).all())
    export = tmp_path / "形式审查.xlsx"
    result = run_cli("review", str(demo_project), "--json", "--export", str(export))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data) == dossiers and {"verdict", "reasons", "department"} <= set(data[0])
    sheet = load_workbook(export).active
    assert sheet.max_row == dossiers + 1  # a header row, a row per dossier
    code = next(d["dossier"] for d in data if d["applicant"] == "朔州绿色建材有限公司")
    # An override without a reason, refused in-process (the entry point runs around it).
    status, _out, _err = cli(
        capsys, "review", str(demo_project), "--override", code, "late", "pass"
    )
    assert status == 2
    accepted = run_cli(
        "review",
        str(demo_project),
        "--override",
        code,
        "late",
        "pass",
        "--reason",
        "邮件系统故障导致延迟，经核实于截止前已发送。",
        "--json",
    )
    assert accepted.returncode == 0
    verdict = next(d["verdict"] for d in json.loads(accepted.stdout) if d["dossier"] == code)
    assert verdict == fr.PASSED


def _locked_pdf(good: bytes) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["encrypted", "truncated", "fake"])
def test_an_unreadable_pdf_is_not_reported_as_missing_every_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    import json

    from tests.small_project import cli, good_pdf, make_project

    good = good_pdf(tmp_path / "good")
    pdf = {
        "encrypted": lambda: _locked_pdf(good),
        "truncated": lambda: good[: len(good) // 3],
        "fake": lambda: b"This is a Word document renamed to .pdf\n" * 50,
    }[kind]()
    project = make_project(tmp_path, capsys, pdf)
    code, out, err = cli(capsys, "review", str(project), "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    items = [c for c in row["checks"] if c["id"].startswith("item:")]
    assert len(items) == len(reference.checklist())
    for check in items:
        assert check["result"] == fr.MANUAL, check
        assert "材料中未找到该项" not in check["reason"]
        assert "无法检索" in check["reason"] and "星河_申报材料.pdf" in check["reason"]
    file_check = next(c for c in row["checks"] if c["id"].startswith("file:"))
    problem = file_check["reason"]
    assert file_check["result"] == fr.FAIL
    # The item's reason says why the file could not be searched.
    assert problem.split("：", 1)[-1].rstrip("。") in items[0]["reason"], (problem, items[0])


def test_review_lists_the_check_ids_an_override_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.small_project import cli

    code, out, err = cli(capsys, "review", "--list-checks")
    assert code == 0, err
    for item in reference.checklist():
        assert f"item:{item.key}" in out and item.short_title in out
    for rule in reference.eligibility_rules():
        assert f"rule:{rule.id}" in out
    assert "late" in out and "file:" in out
    code, out, err = cli(capsys, "review", "--help")
    assert code == 0 and "--list-checks" in out, err
