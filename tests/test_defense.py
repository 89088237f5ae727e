"""Defense sessions, defense records (attendees, length, questions and answers, notes)
and video inspection records, on a small project with one panel and one dossier: what
is stored, what is refused (and then nothing is stored), and what the audit log says."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from review_desk import defense
from review_desk.defense import DefenseError, DefenseQuestion
from review_desk.domain import DefenseMode
from review_desk.formatting import CHINA_TZ
from review_desk.project import Project
from review_desk.storage import models as m
from tests.panel_project import PanelProject, copy_panel_project, panel_project_once

STARTS = datetime(2026, 6, 3, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="module")
def panel_source(tmp_path_factory: pytest.TempPathFactory) -> PanelProject:
    return panel_project_once(tmp_path_factory)


@pytest.fixture
def made(panel_source: PanelProject, tmp_path: Path) -> PanelProject:
    return copy_panel_project(panel_source, tmp_path)


def _session(project: Project, made: PanelProject, **changes: Any) -> int:
    values: dict[str, Any] = {
        "name": "第一场",
        "starts_at": STARTS,
        "mode": "hybrid",
        "dossier_ids": [made.dossier_id],
        "platform": "腾讯会议",
        "meeting_id": "123 456 789",
        "room": "省发改委 3 楼会议室",
        "presentation_minutes": 12,
        "qa_minutes": 8,
        "panel_id": made.panel_id,
    }
    values.update(changes)
    return defense.create_session(project, **values)


def _audit(project: Project, action: str) -> list[m.AuditLog]:
    with project.reading() as session:
        return list(
            session.scalars(
                select(m.AuditLog).where(m.AuditLog.action == action).order_by(m.AuditLog.id)
            )
        )


def test_a_panel_s_dossiers_make_a_session_in_order(made: PanelProject) -> None:
    with Project(made.path) as project:
        assert defense.panel_dossier_ids(project, made.panel_id) == [made.dossier_id]
        assert defense.panel_dossier_ids(project, made.panel_id + 99) == []
        session_id = _session(project, made)
        (row,) = defense.sessions(project)
        entries = _audit(project, "defense.session")
        report = project.verify_audit()
    assert row.id == session_id
    assert (row.name, row.mode, row.platform, row.meeting_id, row.room) == (
        "第一场",
        "hybrid",
        "腾讯会议",
        "123 456 789",
        "省发改委 3 楼会议室",
    )
    assert row.mode is DefenseMode.HYBRID
    assert row.starts_at == STARTS  # stored in UTC, the same instant
    assert (row.presentation_minutes, row.qa_minutes) == (12, 8)
    (record,) = row.records
    assert (record.order, record.dossier_id, record.code) == (1, made.dossier_id, made.dossier_code)
    assert record.applicant == "太原星河智能科技有限公司"
    assert (record.attendees, record.presentation_minutes, record.questions, record.notes) == (
        "",
        None,
        (),
        "",
    )
    (entry,) = entries
    assert entry.entity_id == str(session_id)
    assert entry.after == {
        "name": "第一场",
        "starts_at": STARTS.isoformat(),
        "mode": "hybrid",
        "dossiers": [made.dossier_id],
    }
    assert report.intact


def test_sessions_are_listed_in_time_order(made: PanelProject) -> None:
    with Project(made.path) as project:
        _session(project, made, name="下午场", starts_at=STARTS.replace(hour=14))
        _session(project, made, name="上午场")
        names = [s.name for s in defense.sessions(project)]
    assert names == ["上午场", "下午场"]


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"name": "  "}, DefenseError),
        ({"starts_at": STARTS.replace(tzinfo=None)}, DefenseError),
        ({"mode": "online", "meeting_id": " "}, DefenseError),
        ({"mode": "on_site", "room": ""}, DefenseError),
        ({"mode": "by_post"}, ValueError),
        ({"dossier_ids": []}, DefenseError),
        ({"dossier_ids": "twice"}, DefenseError),
        ({"dossier_ids": [99_999]}, DefenseError),
        ({"presentation_minutes": 0}, DefenseError),
        ({"qa_minutes": -5}, DefenseError),
    ],
)
def test_an_invalid_session_is_refused_and_nothing_stored(
    made: PanelProject, changes: dict[str, Any], refused: type[Exception]
) -> None:
    if changes.get("dossier_ids") == "twice":
        changes = {"dossier_ids": [made.dossier_id, made.dossier_id]}
    with Project(made.path) as project:
        with pytest.raises(refused):
            _session(project, made, **changes)
        assert defense.sessions(project) == []
        assert _audit(project, "defense.session") == []
        with project.reading() as session:
            assert session.scalars(select(m.DefenseRecord)).first() is None


def test_online_and_on_site_sessions_need_only_their_own_place(made: PanelProject) -> None:
    with Project(made.path) as project:
        _session(project, made, name="线上", mode="online", room="")
        _session(project, made, name="现场", mode="on_site", meeting_id="", platform="")
        modes = {s.name: (s.mode, s.meeting_id, s.room) for s in defense.sessions(project)}
    assert modes["线上"] == ("online", "123 456 789", "")
    assert modes["现场"] == ("on_site", "", "省发改委 3 楼会议室")


def _record_id(project: Project) -> int:
    (row,) = defense.sessions(project)
    return row.records[0].id


def test_a_record_keeps_questions_and_answers_trimmed(made: PanelProject) -> None:
    with Project(made.path) as project:
        _session(project, made)
        record_id = _record_id(project)
        defense.update_record(
            project,
            record_id,
            attendees="张三（总经理）、李四",
            presentation_minutes=11.5,
            questions=[
                DefenseQuestion(" 钱学文 ", " 实训基地的运营经费从哪里来？ ", "企业自筹。"),
                DefenseQuestion("", "合作院校有几所？"),
            ],
            notes="答辩清楚。",
        )
        (row,) = defense.sessions(project)
        (entry,) = _audit(project, "defense.record")
    record = row.records[0]
    assert record.attendees == "张三（总经理）、李四"
    assert record.presentation_minutes == 11.5
    assert record.questions == (
        DefenseQuestion("钱学文", "实训基地的运营经费从哪里来？", "企业自筹。"),
        DefenseQuestion("", "合作院校有几所？", ""),
    )
    assert record.notes == "答辩清楚。"
    assert entry.entity_id == str(record_id)
    assert entry.before == {
        "attendees": "",
        "presentation_minutes": None,
        "questions": [],
        "notes": "",
    }
    assert entry.after is not None
    assert entry.after["questions"] == [  # stored as JSON through the one codec
        {"asker": "钱学文", "question": "实训基地的运营经费从哪里来？", "answer": "企业自筹。"},
        {"asker": "", "question": "合作院校有几所？", "answer": ""},
    ]


def test_only_the_fields_given_change_and_no_change_is_not_audited(made: PanelProject) -> None:
    with Project(made.path) as project:
        _session(project, made)
        record_id = _record_id(project)
        defense.update_record(project, record_id, attendees="张三", notes="第一次")
        defense.update_record(project, record_id, notes="第二次")
        defense.update_record(project, record_id, notes="第二次")  # the same: no entry
        (row,) = defense.sessions(project)
        entries = _audit(project, "defense.record")
    assert (row.records[0].attendees, row.records[0].notes) == ("张三", "第二次")
    assert [(e.before, e.after) for e in entries] == [
        ({"attendees": "", "notes": ""}, {"attendees": "张三", "notes": "第一次"}),
        ({"notes": "第一次"}, {"notes": "第二次"}),
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"questions": [DefenseQuestion("钱学文", "  ", "无")]},
        {"presentation_minutes": -1.0},
        {"presentation_minutes": 601.0},
    ],
)
def test_an_invalid_record_is_refused_and_nothing_changes(
    made: PanelProject, changes: dict[str, Any]
) -> None:
    with Project(made.path) as project:
        _session(project, made)
        record_id = _record_id(project)
        with pytest.raises(DefenseError):
            defense.update_record(project, record_id, attendees="张三", **changes)
        (row,) = defense.sessions(project)
        assert row.records[0].attendees == ""
        assert _audit(project, "defense.record") == []


def test_an_unknown_record_is_refused(made: PanelProject) -> None:
    with Project(made.path) as project, pytest.raises(DefenseError):
        defense.update_record(project, 12_345, notes="无")


def test_every_dossier_is_listed_for_inspection_until_recorded(made: PanelProject) -> None:
    when = datetime(2026, 6, 10, 15, 30, tzinfo=CHINA_TZ)
    with Project(made.path) as project:
        (empty,) = defense.inspections(project)
        assert defense.inspections(project, recorded_only=True) == []
        defense.save_inspection(
            project,
            made.dossier_id,
            inspected_at=when,
            site="太原市小店区",
            shown="实训车间",
            findings="设备齐全",
        )
        (recorded,) = defense.inspections(project, recorded_only=True)
        (entry,) = _audit(project, "inspection.record")
    assert (empty.dossier_id, empty.code, empty.id, empty.inspected_at) == (
        made.dossier_id,
        made.dossier_code,
        None,
        None,
    )
    assert recorded.id is not None and recorded.inspected_at == when
    assert (recorded.site, recorded.shown, recorded.findings) == (
        "太原市小店区",
        "实训车间",
        "设备齐全",
    )
    assert entry.before is None
    assert entry.after is not None and entry.after["inspected_at"] == when.isoformat()


def test_saving_an_inspection_again_changes_it_and_audits_before(made: PanelProject) -> None:
    first = datetime(2026, 6, 10, 15, 30, tzinfo=CHINA_TZ)
    second = datetime(2026, 6, 11, 9, 0, tzinfo=CHINA_TZ)
    with Project(made.path) as project:
        defense.save_inspection(project, made.dossier_id, inspected_at=first, site="甲地")
        defense.save_inspection(project, made.dossier_id, inspected_at=second, site="乙地")
        (row,) = defense.inspections(project, recorded_only=True)
        entries = _audit(project, "inspection.record")
        with project.reading() as session:
            stored = len(session.scalars(select(m.InspectionRecord)).all())
    assert stored == 1
    assert (row.inspected_at, row.site) == (second, "乙地")
    assert entries[1].before is not None
    before = entries[1].before
    assert (datetime.fromisoformat(before["inspected_at"]), before["site"]) == (first, "甲地")


def test_an_invalid_inspection_is_refused(made: PanelProject) -> None:
    with Project(made.path) as project:
        with pytest.raises(DefenseError):
            defense.save_inspection(
                project, made.dossier_id, inspected_at=datetime(2026, 6, 10, 15, 30)
            )
        with pytest.raises(DefenseError):
            defense.save_inspection(
                project, 99_999, inspected_at=datetime(2026, 6, 10, tzinfo=CHINA_TZ)
            )
        assert defense.inspections(project, recorded_only=True) == []


def test_a_stored_question_reads_back_whatever_it_lacks() -> None:
    """Questions stored by an older version or an expert's return may lack a part."""
    assert DefenseQuestion.from_json({"question": "经费？"}) == DefenseQuestion("", "经费？", "")
    question = DefenseQuestion("钱学文", "经费？", "自筹。")
    assert DefenseQuestion.from_json(question.to_json()) == question
    assert question.line() == "钱学文：经费？ —— 自筹。"


def test_the_results_workbook_lists_records_and_inspections(made: PanelProject) -> None:
    from review_desk.results.workbook_sheets import defense_records

    when = datetime(2026, 6, 10, 15, 30, tzinfo=CHINA_TZ)
    with Project(made.path) as project:
        _session(project, made)
        defense.update_record(
            project,
            _record_id(project),
            attendees="张三",
            questions=[
                DefenseQuestion("钱学文", "经费？", "自筹。"),
                DefenseQuestion("孙明", "场地？"),
            ],
        )
        defense.save_inspection(project, made.dossier_id, inspected_at=when, site="甲地")
        sheet = defense_records(
            defense.sessions(project), defense.inspections(project, recorded_only=True)
        )
    defended, inspected = (list(row) for row in sheet.rows)
    assert defended[1:3] == [made.dossier_code, "太原星河智能科技有限公司"]
    assert defended[4] == "第一场（省发改委 3 楼会议室）"
    assert defended[5] == "张三"
    assert defended[7] == "钱学文：经费？ —— 自筹。\n孙明：场地？ —— "
    assert inspected[1] == made.dossier_code and inspected[3] == when and inspected[4] == "甲地"
