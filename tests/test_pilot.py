"""The pilot year (试点培育) through the command line on the published demo: refused before
publication and for a dossier not on the list; milestones proposed from a real demo
plan PDF (and a scan proposes nothing, saying why); a milestone sheet imported all or
nothing with the bad row named; a progress report's bytes kept intact; overdue
milestones and silent bases by the injected clock; every step audited, the chain
intact."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, update

from review_desk.cli import pilot_cmd, publicity_cmd
from review_desk.pilot_plan import parse_day, propose
from review_desk.project import Project
from review_desk.storage import models as m
from tests.small_project import cli

Run = Callable[..., tuple[int, str, str]]
PUBLISHED = "2026-12-08"


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the commands' clock to noon (China) of a day."""

    def set_day(day: str) -> None:
        now = datetime.fromisoformat(f"{day}T04:00:00").replace(tzinfo=UTC)
        monkeypatch.setattr(publicity_cmd, "_clock", lambda: lambda: now)
        monkeypatch.setattr(pilot_cmd, "_clock", lambda: lambda: now)

    return set_day


def _publish(capsys: pytest.CaptureFixture[str], project: str, at: Callable[[str], None]) -> None:
    at("2026-12-01")
    code, _, err = cli(capsys, "publicity-period", "open", project, "--start", "2026-12-01",
                       "--end", "2026-12-07", "--contact", "0351-1234567")  # fmt: skip
    assert code == 0, err
    at(PUBLISHED)
    code, _, err = cli(capsys, "publicity-period", "publish", project)
    assert code == 0, err


def _rows(project: str | Path) -> list[dict[str, object]]:
    with Project(project) as opened, opened.reading() as session:
        return list(session.scalars(select(m.FinalList)).one().rows)


@pytest.fixture
def public(
    finalised_project: Path, capsys: pytest.CaptureFixture[str], at: Callable[[str], None]
) -> str:
    """The finalised demo, published on 8 December 2026."""
    project = str(finalised_project)
    _publish(capsys, project, at)
    return project


@pytest.fixture
def published(public: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The published demo with its pilot started on the day of publication."""
    project = public
    code, out, err = cli(capsys, "pilot", "start", project)
    assert code == 0, err
    assert "2026-12-08" in out and "2027-12-08" in out
    return project


def _bases(project: str) -> list[str]:
    return [
        str(r["code"]) for r in _rows(project) if r["adjusted_tier"] in ("provincial", "municipal")
    ]


def test_refusals_before_publication_and_off_the_list(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],
) -> None:
    project = str(finalised_project)
    at("2026-12-03")
    code, _, err = cli(capsys, "pilot", "start", project)
    assert code == 2 and "名单尚未正式发布" in err and len(err.strip().splitlines()) == 1
    _publish(capsys, project, at)
    code, _, err = cli(capsys, "pilot", "start", project, "--start", "2026-12-01")
    assert code == 2 and "不能早于名单发布日" in err
    assert cli(capsys, "pilot", "start", project)[0] == 0
    assert cli(capsys, "pilot", "start", project)[0] == 2  # once per project
    with Project(project) as opened, opened.reading() as session:
        codes = set(session.scalars(select(m.Dossier.code)))
    outside = sorted(codes - set(_bases(project)))[0]
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code, _, err = cli(capsys, "pilot", "report", "add", project, "--dossier", outside,
                       "--file", str(report), "--submitted", PUBLISHED)  # fmt: skip
    assert code == 2 and f"{outside} 不是公布名单中的入选基地" in err
    code, _, err = cli(capsys, "pilot", "note", "add", project, "--dossier", outside,
                       "--text", "现场调研")  # fmt: skip
    assert code == 2 and "不是公布名单中的入选基地" in err
    with Project(project) as opened, opened.reading() as session:
        assert session.scalars(select(m.PilotReport)).first() is None


def test_milestones_proposed_from_the_demo_plan(
    published: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _bases(published)[0]
    code, out, err = cli(capsys, "pilot", "milestone", "propose", published, "--dossier", base,
                         "--json")  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found["reason"] == "" and found["page"] >= 1 and found["stored"] == []
    days = [p["due_on"] for p in found["proposals"]]
    assert days[0] in ("2022-05-31", "2022-06-30")
    assert days[1:] == ["2022-09-30", "2022-12-31", "2023-03-31"]
    assert found["proposals"][1]["title"] == "完成设备安装调试，开展试运行"
    # This pilot starts on 8 December 2026: the plan's 2022 dates come before it, and
    # are marked so (the page leaves them unchecked).
    assert found["starts_on"] == PUBLISHED
    assert all(p["before_start"] for p in found["proposals"])
    code, out, _ = cli(capsys, "pilot", "milestone", "propose", published, "--dossier", base)
    assert out.count("早于试点开始日") == 4
    # Nothing stored until accepted; accepting twice stores them once.
    assert json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1]) == []
    code, out, err = cli(capsys, "pilot", "milestone", "propose", published, "--dossier", base,
                         "--accept")  # fmt: skip
    assert code == 0 and "已保存建设进度节点 4 个" in out, err
    code, out, _ = cli(capsys, "pilot", "milestone", "propose", published, "--dossier", base,
                       "--accept")  # fmt: skip
    assert "已保存建设进度节点 0 个" in out
    listed = json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1])
    assert [x["source"] for x in listed] == ["plan"] * 4 and {x["code"] for x in listed} == {base}


def test_a_scanned_plan_proposes_nothing_and_says_why(
    published: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _bases(published)[1]
    with Project(published) as opened, opened.transaction() as session:
        dossier = session.scalar(select(m.Dossier.id).where(m.Dossier.code == base))
        session.execute(
            update(m.Material)
            .where(m.Material.dossier_id == dossier)
            .values(found_items=None, text_status="no_text")
        )
    code, out, err = cli(capsys, "pilot", "milestone", "propose", published, "--dossier", base,
                         "--accept")  # fmt: skip
    assert code == 0, err
    assert "扫描件" in out and "已保存" not in out


def test_plan_text_without_dates_and_relative_quarters() -> None:
    start = date(2026, 12, 8)
    assert propose("加强组织领导，完善制度建设。", start) == []
    found = propose("（一）第一季度：组建运营团队；（二）试点期第6个月完成课程开发。", start)
    assert [(p.due_on, p.title) for p in found] == [
        (date(2027, 3, 7), "组建运营团队"),
        (date(2027, 6, 7), "完成课程开发"),
    ]
    assert propose("2027.04 完成设备安装", start)[0].due_on == date(2027, 4, 30)
    assert parse_day("2027年6月") == date(2027, 6, 30) and parse_day("六月") is None


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "节点"
    sheet.append(["申报编号", "节点", "计划完成日期", "说明"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_milestone_import_is_all_or_nothing(
    published: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = _bases(published)[:2]
    template = tmp_path / "模板.xlsx"
    code, _, err = cli(capsys, "pilot", "milestone", "template", str(template), "--project",
                       published)  # fmt: skip
    assert code == 0, err
    written = load_workbook(template).active
    assert [c.value for c in written[2]][:3] == ["申报编号", "节点", "计划完成日期"]
    assert written["A3"].value == first

    good = [first, "完成实训场地改造", datetime(2027, 3, 31), "一期工程"]
    bad = _sheet(tmp_path / "bad.xlsx", [good, [second, "设备安装调试", "明年春天", ""],
                                         ["SX-99-9999", "开展培训", "2027-06-30", ""]])  # fmt: skip
    code, out, _ = cli(capsys, "pilot", "milestone", "import", published, str(bad))
    assert code == 1
    assert "工作表 节点 第 3 行 C 列 计划完成日期「明年春天」" in out
    assert "工作表 节点 第 4 行 A 列 申报编号「SX-99-9999」" in out and "未导入" in out
    assert json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1]) == []

    fixed = _sheet(tmp_path / "good.xlsx", [good, [second, "设备安装调试", "2027年6月", ""]])
    code, out, err = cli(capsys, "pilot", "milestone", "import", published, str(fixed))
    assert code == 0 and "已导入建设进度节点 2 个" in out, err
    listed = json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1])
    assert {(x["code"], x["due_on"], x["source"]) for x in listed} == {
        (first, "2027-03-31", "import"),
        (second, "2027-06-30", "import"),
    }


def test_report_bytes_kept_and_overdue_by_the_clock(
    published: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],
) -> None:
    first, second = _bases(published)[:2]
    for code, title, due in (
        (first, "完成场地改造", "2027-01-31"),
        (second, "设备招标", "2027-02-28"),
    ):
        done = cli(capsys, "pilot", "milestone", "add", published, "--dossier", code,
                   "--title", title, "--due", due)  # fmt: skip
        assert done[0] == 0, done[2]
    milestones = json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1])
    mine = next(x["id"] for x in milestones if x["code"] == first)

    at("2027-01-31")
    late = json.loads(cli(capsys, "pilot", "overdue", published, "--json")[1])
    assert late["milestones"] == [] and late["silent"] == []
    at("2027-02-05")
    late = json.loads(cli(capsys, "pilot", "overdue", published, "--json")[1])
    assert [(x["code"], x["days"]) for x in late["milestones"]] == [(first, 5)]

    report = tmp_path / "第一季度进展报告.pdf"
    content = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
    report.write_bytes(content)
    code, out, err = cli(capsys, "pilot", "report", "add", published, "--dossier", first,
                         "--file", str(report), "--submitted", "2027-02-03",
                         "--covers-from", "2026-12-08", "--covers-to", "2027-01-31",
                         "--summary", "场地改造完成", "--milestone", str(mine))  # fmt: skip
    assert code == 0, err
    code, _, err = cli(capsys, "pilot", "report", "add", published, "--dossier", first,
                       "--file", str(report), "--submitted", "2027-03-01")  # fmt: skip
    assert code == 2 and "报送日期不能晚于今天" in err
    code, _, err = cli(capsys, "pilot", "milestone", "done", published, "--id", str(mine),
                       "--on", "2027-02-04", "--note", "已验收")  # fmt: skip
    assert code == 0, err
    assert cli(capsys, "pilot", "milestone", "done", published, "--id", str(mine))[0] == 2
    assert cli(capsys, "pilot", "note", "add", published, "--dossier", first,
               "--text", "现场调研，进度正常")[0] == 0  # fmt: skip

    with Project(published) as opened:
        from review_desk.pilot import base_history

        with opened.reading() as session:
            dossier = session.scalar(select(m.Dossier.id).where(m.Dossier.code == first))
            assert dossier is not None
            history = base_history(session, dossier)
        stored = history.reports[0]
        assert stored.sha256 == hashlib.sha256(content).hexdigest()
        assert stored.size == len(content) and stored.milestones == [mine]
        assert opened.files.path_for(stored.sha256).read_bytes() == content
        assert [n.text for n in base_history(opened, dossier).notes] == ["现场调研，进度正常"]
        assert history.milestones[0].status == "done"

    # 90 days after the start every base without a report is listed; the first reported.
    at("2027-03-08")
    late = json.loads(cli(capsys, "pilot", "overdue", published, "--json")[1])
    assert [(x["code"], x["days"]) for x in late["milestones"]] == [(second, 8)]
    silent = {x["code"]: x for x in late["silent"]}
    assert first not in silent and silent[second]["days"] == 90
    assert silent[second]["last_report"] is None and len(silent) == len(_bases(published)) - 1
    state = json.loads(cli(capsys, "pilot", "status", published, "--json")[1])
    by_code = {b["code"]: b for b in state["bases"]}
    assert by_code[first]["done"] == 1
    assert (by_code[first]["total"], by_code[first]["last_report"]) == (1, "2027-02-03")
    assert (by_code[second]["overdue"], by_code[second]["last_report"]) == (1, None)
    code, out, _ = cli(capsys, "pilot", "overdue", published)
    assert code == 0 and "已逾期 8 天" in out

    code, out, err = cli(capsys, "audit", "verify", published)
    assert code == 0, err
    with Project(published) as opened, opened.reading() as session:
        actions = set(session.scalars(select(m.AuditLog.action)))
    assert {"pilot.start", "pilot.milestone.add", "pilot.milestone.done", "pilot.report.add",
            "pilot.note.add"} <= actions  # fmt: skip


def test_demo_pilot_year(public: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's pilot year on a published list: milestones from every plan, some done,
    reports and notes, some overdue; the chain intact."""
    from review_desk.demo.pilot import fill_pilot_year

    with Project(public) as opened:
        year = fill_pilot_year(opened)
        assert year.bases == len(_bases(public)) and year.milestones == 4 * year.bases
        assert 0 < year.done < year.milestones and year.reports > year.bases and year.notes > 0
        assert opened.verify_audit().intact
    late = json.loads(cli(capsys, "pilot", "overdue", public, "--json")[1])
    assert late["milestones"]
