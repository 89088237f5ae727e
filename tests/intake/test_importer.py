"""Intake into a project: all-or-nothing, valid rows only, idempotence, the report, and
materials that cannot be read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk.demo.register_export import load_demo_source
from review_desk.intake.importer import run_intake
from review_desk.intake.report import ERROR_FILL, write_issue_report
from review_desk.project import Project
from review_desk.storage import models as m
from tests.intake import registers
from tests.small_project import cli
from tests.support import run_cli


def _dump(path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    with sqlite3.connect(path) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = [
            (t, sorted(c.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
            for t in sorted(tables)
        ]
    c.close()
    return dump


@pytest.fixture
def messy(tmp_path: Path) -> tuple[Path, Path]:
    register = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(register)
    files = tmp_path / "pdfs"
    registers.write_pdfs(files)
    return register, files


@pytest.fixture
def project(tmp_path: Path) -> Project:
    from datetime import datetime

    return Project.create(
        tmp_path / "p.rdp", name="测试", deadline=datetime.fromisoformat("2022-01-21T23:59+08:00")
    )


def test_all_or_nothing_writes_nothing(project: Project, messy: tuple[Path, Path]) -> None:
    assert project.path is not None
    before = _dump(project.path)
    result = run_intake(project, *messy, workers=1)
    assert not result.imported and not result.ok
    assert {i.row for i in result.issues if i.severity == "error"} == registers.REFUSED_ROWS
    missing = next(i for i in result.issues if i.row == 15)
    assert missing.column == "M" and "阳泉绿能_申报材料.pdf" in missing.problem
    assert _dump(project.path) == before


def test_valid_rows_only_and_reimport_changes_nothing(
    project: Project, messy: tuple[Path, Path]
) -> None:
    result = run_intake(project, *messy, valid_only=True, workers=1)
    assert result.imported and result.created == registers.VALID_APPLICATIONS
    assert result.materials_added == 5
    with project.reading() as s:
        dossiers = s.scalars(select(m.Dossier)).all()
        assert len(dossiers) == registers.VALID_APPLICATIONS
        materials = s.scalars(select(m.Material)).all()
        assert all(x.text_status == "ok" and len(x.found_items or {}) == 13 for x in materials)
        college = s.scalars(
            select(m.Applicant).where(m.Applicant.credit_code == registers.COLLEGE)
        ).one()
        assert college.major_categories == ["能源动力与材料大类", "装备制造大类"]
        zone_dossiers = [d for d in dossiers if d.lead_applicant.credit_code == registers.ZONE]
        names = {d.direction_id: d.materials[0].filename for d in zone_dossiers}
        assert names == {
            3: "长治高新技术产业开发区管理委员会_方向3.pdf",
            4: "长治高新技术产业开发区管理委员会_工业互联网.pdf",
        }
        star = {
            d.direction_id: d.materials[0].filename
            for d in dossiers
            if d.lead_applicant.credit_code == registers.ENTERPRISE
        }
        assert star[7].endswith("_新能源.pdf") and star[12].endswith("_智能网联新能源汽车.pdf")
    assert project.path is not None
    after_first = _dump(project.path)
    again = run_intake(project, *messy, valid_only=True, workers=1)
    assert again.imported and again.created == again.updated == again.materials_added == 0
    assert again.unchanged == registers.VALID_APPLICATIONS
    assert _dump(project.path) == after_first
    assert project.verify_audit().intact


def test_report_highlights_offending_cells(
    tmp_path: Path, project: Project, messy: tuple[Path, Path]
) -> None:
    from openpyxl import load_workbook

    result = run_intake(project, *messy, workers=1)
    report = tmp_path / "report.xlsx"
    write_issue_report(report, messy[0], result.issues)
    workbook = load_workbook(report)
    problems = workbook.worksheets[0]
    assert problems.max_row == 1 + len(result.issues)
    sheet = workbook["汇总"]
    for row, column in registers.EXPECTED_PROBLEM_COLUMNS.items():
        cell = sheet[f"{column}{row}"]
        assert cell.fill.fgColor.rgb.endswith(ERROR_FILL), (row, column)
        assert cell.comment is not None and cell.comment.text
    assert sheet["C4"].fill.fgColor.rgb in (None, "00000000")  # a good cell stays plain


def test_unreadable_pdfs_are_flagged_and_the_rest_goes_on(tmp_path: Path, project: Project) -> None:
    from pypdf import PdfReader, PdfWriter

    from review_desk.intake.register_template import write_register

    files = tmp_path / "files"
    registers.write_pdfs(files)
    good = files / "太原星河智能科技有限公司_新能源.pdf"
    (files / "太原星河智能科技有限公司_新能源.pdf").rename(files / "星河_good.pdf")
    (files / "星河_broken.pdf").write_bytes(
        good.read_bytes()[:300] if good.exists() else b"%PDF-1.7\n1 0 obj"
    )
    writer = PdfWriter(clone_from=PdfReader(files / "星河_good.pdf"))
    writer.encrypt("secret")
    with (files / "星河_locked.pdf").open("wb") as stream:
        writer.write(stream)
    register = tmp_path / "r.xlsx"
    write_register(
        register,
        [
            {
                "applicant": "太原星河智能科技有限公司",
                "credit_code": registers.ENTERPRISE,
                "kind": "行业骨干企业",
                "city": "太原市",
                "direction": "新能源",
                "level": "省级",
                "policy_list": "是",
                "pilot_enterprise": "已纳入",
                "files": "星河_good.pdf; 星河_broken.pdf; 星河_locked.pdf",
            }
        ],
    )
    result = run_intake(project, register, files, workers=1)
    assert result.imported and result.ok and result.materials_added == 3
    statuses = {}
    with project.reading() as s:
        for x in s.scalars(select(m.Material)):
            statuses[x.filename] = (x.text_status, x.problem)
    assert statuses["星河_good.pdf"][0] == "ok"
    assert statuses["星河_broken.pdf"][0] == "damaged" and statuses["星河_broken.pdf"][1]
    assert statuses["星河_locked.pdf"][0] == "encrypted"
    warnings = [i for i in result.issues if i.severity == "warning" and i.header == "材料文件"]
    assert {i.value for i in warnings} == {"星河_broken.pdf", "星河_locked.pdf"}
    unmatched = {i.value for i in result.issues if i.severity == "warning" and not i.row}
    assert len(unmatched) == 4  # the folder's other PDFs are reported, not imported


def test_cli_intake_exit_codes_and_json(
    tmp_path: Path, messy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``intake`` and ``review`` as the user runs them (subprocesses); the empty project
    they work on is made in-process."""
    import json

    project = tmp_path / "cli.rdp"
    code, _out, err = cli(capsys, "project", "new", str(project), "--name", "x")
    assert code == 0, err
    refused = run_cli(
        "intake",
        str(project),
        "--register",
        str(messy[0]),
        "--files",
        str(messy[1]),
        "--json",
        "--report",
        str(tmp_path / "r.xlsx"),
    )
    assert refused.returncode == 1
    data = json.loads(refused.stdout)
    assert data["imported"] is False and data["rows_refused"] == len(registers.REFUSED_ROWS)
    assert (tmp_path / "r.xlsx").is_file()
    partial = run_cli(
        "intake",
        str(project),
        "--register",
        str(messy[0]),
        "--files",
        str(messy[1]),
        "--valid-only",
    )
    assert partial.returncode == 1 and "5" in partial.stdout
    review = run_cli("review", str(project), "--json")
    assert review.returncode == 0 and len(json.loads(review.stdout)) == registers.VALID_APPLICATIONS


def test_demo_register_imports_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo register through ``intake`` (the command's own process); the register
    and the project are made in-process."""
    folder = tmp_path / "demo"
    code, _out, err = cli(capsys, "template", "register", str(folder / "申报汇总表.xlsx"), "--demo")
    assert code == 0, err
    project = tmp_path / "p.rdp"
    code, _out, err = cli(
        capsys,
        "project",
        "new",
        str(project),
        "--name",
        "x",
        "--deadline",
        "2022-01-21T23:59+08:00",
    )
    assert code == 0, err
    result = run_cli(
        "intake",
        str(project),
        "--register",
        str(folder / "申报汇总表.xlsx"),
        "--files",
        str(folder / "申报材料"),
        "--json",
    )
    assert result.returncode == 0, result.stdout[-2000:]
    import json

    data = json.loads(result.stdout)
    applications = sum(len(a["directions"]) for a in load_demo_source()["applicants"])
    assert data["created"] == applications and data["rows_refused"] == 0
    warnings = sorted((i["header"], i["value"]) for i in data["issues"])
    assert warnings[1] == ("材料文件", "晋城市人民政府_申报主体基础资料.pdf")  # the scan
    assert warnings[0][0] == "收到时间" and len(warnings) == 2  # the late one
    assert len(data["late"]) == 1
