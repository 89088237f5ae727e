"""Experts, panels, assignments and recusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from review_desk import panels, scoring
from review_desk.project import Project
from review_desk.storage import models as m


def _roster(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2022年评审专家库"])
    sheet.append(["序号", "专家姓名", "工作单位", "专业领域", "联系电话", "电子邮箱"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_roster_is_validated_then_imported_once(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        bad = _roster(
            tmp_path / "bad.xlsx",
            [
                [1, "钱学文", "山西大学", "材料", "0351-7010000", "qian@sxu.example.cn"],
                [2, "", "山西大学", "化工", "13900000000", "x@sxu.example.cn"],
                [3, "孙明", "太原科技大学", "机械", "电话未知", "sun(at)tyust"],
            ],
        )
        result = panels.import_roster(project, bad)
        assert not result.stored
        assert {(i.row, i.column) for i in result.issues} == {(4, "姓名"), (5, "电话"), (5, "邮箱")}
        assert project.summary().experts == 10
        good = _roster(
            tmp_path / "good.xlsx",
            [
                [1, "钱学文", "山西大学", "材料", "0351-7010000", "qian@sxu.example.cn"],
                [2, "孙明", "太原科技大学", "机械", "13900000001", "sun@tyust.example.cn"],
            ],
        )
        assert panels.import_roster(project, good).added == 2
        again = panels.import_roster(project, good)
        assert again.added == 0 and again.unchanged == 2
        assert project.summary().experts == 12


def test_panel_assignment_skips_conflicts(demo_project: Path) -> None:
    with Project(demo_project) as project:
        with project.reading() as s:
            applicant = s.scalars(
                select(m.Applicant).where(m.Applicant.name == "山西农林大学")
            ).one()
            dossier = s.scalars(
                select(m.Dossier).where(m.Dossier.lead_applicant_id == applicant.id)
            ).one()
            experts = [e.id for e in s.scalars(select(m.Expert).limit(2))]
        with pytest.raises(panels.PanelError):
            panels.create_panel(project, "第三组", 999, experts, [26])
        s_before = project.summary()
        # An expert from the applicant's own organisation is in the new panel.
        with project.transaction() as s:
            s.add(m.Expert(name="冯农", organisation="山西农林大学", field="农学"))
        with project.reading() as s:
            insider = s.scalars(select(m.Expert.id).where(m.Expert.name == "冯农")).one()
        panel = panels.create_panel(
            project, "第三专家组（农业）", experts[0], [*experts, insider], [26]
        )
        added = panels.assign_panel(project, panel)
        with project.reading() as s:
            count = s.scalar(
                select(func.count())
                .select_from(m.Assignment)
                .where(m.Assignment.expert_id == insider)
            )
            recusals = s.scalars(select(m.Recusal).where(m.Recusal.expert_id == insider)).all()
        # His university leads one dossier and is a partner in another: both detected.
        assert dossier.id in {r.dossier_id for r in recusals} and len(recusals) == 2
        assert {r.source for r in recusals} == {"detected"}
        assert count == 2  # the two other 现代农业 dossiers, not his own university's
        assert added >= count
        assert project.summary().assignments > s_before.assignments
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, insider, dossier.id, "A1", 5)


def test_declared_recusal_removes_the_assignment(demo_project: Path) -> None:
    with Project(demo_project) as project:
        with project.reading() as s:
            assignment = s.scalars(select(m.Assignment)).first()
        assert assignment is not None
        with pytest.raises(panels.PanelError):
            panels.declare_recusal(project, assignment.expert_id, assignment.dossier_id, "")
        panels.declare_recusal(
            project,
            assignment.expert_id,
            assignment.dossier_id,
            "与申报主体负责人为近亲属。",
            source="expert",
        )
        with project.reading() as s:
            left = s.scalar(
                select(func.count())
                .select_from(m.Assignment)
                .where(
                    m.Assignment.expert_id == assignment.expert_id,
                    m.Assignment.dossier_id == assignment.dossier_id,
                )
            )
        assert left == 0
        with pytest.raises(panels.PanelError):
            panels.declare_recusal(
                project, assignment.expert_id, assignment.dossier_id, "再次申报回避"
            )


def test_the_roster_template_is_what_the_import_reads(tmp_path: Path) -> None:
    from review_desk.intake.roster_template import COLUMNS, write_roster

    headers = {key: spellings[0] for key, spellings in panels.ROSTER_HEADERS.items()}
    assert {c.key: c.header for c in COLUMNS if c.key in headers} == headers
    roster = tmp_path / "专家名单.xlsx"
    write_roster(
        roster,
        [
            {"name": "钱学文", "organisation": "山西大学", "phone": "0351-7010000"},
            {"name": "孙明", "organisation": "太原科技大学", "email": "sun@tyust.example.cn"},
        ],
    )
    with Project.create(tmp_path / "p.rdp", name="测试") as project:
        result = panels.import_roster(project, roster)
        assert result.stored and result.added == 2, result.issues
        with pytest.raises(panels.PanelError, match="99"):
            panels.create_panel(project, "组", 1, [1, 99], [7])
        with pytest.raises(panels.PanelError, match="31"):
            panels.create_panel(project, "组", 1, [1, 2], [7, 31])
        with project.reading() as session:
            assert session.scalar(select(func.count(m.Panel.id))) == 0
