"""The notice's procedure after the committee's list, on the demo, through the command
line alone: publicity with two objections (one upheld and the list revised, one
dismissed), publication of the revised list, a pilot year (milestones proposed from the
plan, a progress report, a note, what is overdue), a recognition round to its 认定名单,
and the whole history of a base in one place. Both audit chains stay intact."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from review_desk.cli import pilot_cmd, publicity_cmd
from tests.small_project import cli
from tests.test_publicity_objections import _listed, open_period

ROUND = "2027年认定验收"


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the publicity and pilot commands' clock to noon (China) of a day."""

    def set_day(day: str) -> None:
        now = datetime.fromisoformat(f"{day}T04:00:00").replace(tzinfo=UTC)
        monkeypatch.setattr(publicity_cmd, "_clock", lambda: lambda: now)
        monkeypatch.setattr(pilot_cmd, "_clock", lambda: lambda: now)

    return set_day


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 0, (argv, err)
    return out


def test_publicity_publication_pilot_year_and_recognition(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],
) -> None:
    selection = str(finalised_project)
    upheld, dismissed = _listed(finalised_project)
    evidence = tmp_path / "举报材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)

    # 公示: two objections, one upheld (the list revised into version 2), one dismissed.
    at("2026-12-02")
    ok(capsys, *open_period(selection))
    ok(capsys, "objection", "add", selection, "--dossier", upheld, "--objector", "张三",
       "--grounds", "合作企业已注销", "--evidence", str(evidence))  # fmt: skip
    ok(capsys, "objection", "add", selection, "--dossier", dismissed, "--anonymous",
       "--grounds", "设备为租赁")  # fmt: skip
    ok(capsys, "objection", "investigate", selection, "--id", "1", "--assignee", "李四",
       "--findings", "经核实情况属实")  # fmt: skip
    ok(capsys, "objection", "decide", selection, "--id", "1", "--outcome", "upheld",
       "--reason", "异议属实")  # fmt: skip
    ok(capsys, "objection", "decide", selection, "--id", "2", "--outcome", "dismissed",
       "--reason", "发票与资产登记齐全")  # fmt: skip
    ok(capsys, "objection", "revise", selection, "--id", "1", "--dossier", upheld,
       "--tier", "municipal", "--reason", "异议成立，改为市（县）级")  # fmt: skip
    at("2026-12-08")
    ok(capsys, "publicity-period", "publish", selection)
    status = json.loads(ok(capsys, "publicity-period", "status", selection, "--json"))
    assert status["state"] == "published" and status["list_version"] == 2
    published = tmp_path / "正式发布名单.pdf"
    ok(capsys, "publicity", selection, "--out", str(published))
    text = "".join(page.extract_text() or "" for page in PdfReader(published).pages)
    assert "第2版" in text and status["published_hash"] in text.replace("\n", "")

    # 试点培育: milestones from the plan, a report, a note; overdue a year on.
    ok(capsys, "pilot", "start", selection)
    ok(capsys, "pilot", "milestone", "propose", selection, "--dossier", dismissed, "--accept")
    report = tmp_path / "进展报告.pdf"
    report.write_bytes(evidence.read_bytes())
    at("2027-03-01")
    ok(capsys, "pilot", "report", "add", selection, "--dossier", dismissed, "--file",
       str(report), "--submitted", "2027-03-01", "--summary", "实训中心主体完工")  # fmt: skip
    ok(capsys, "pilot", "note", "add", selection, "--dossier", dismissed, "--text", "进度正常")
    at("2027-12-01")
    overdue = json.loads(ok(capsys, "pilot", "overdue", selection, "--json"))
    assert any(m["code"] == dismissed for m in overdue["milestones"])

    # 认定验收: the round made from the selection project, to its 认定名单.
    recognition = tmp_path / "认定验收.rdp"
    ok(capsys, "demo", str(recognition), "--recognition", selection, "--round-name", ROUND)
    read = json.loads(ok(capsys, "recognition", "outcomes", str(recognition), "--json"))
    outcomes = read["bases"]
    assert {row["suggested"] for row in outcomes} >= {"passed", "rectify", "failed"}
    assert upheld in {row["code"] for row in outcomes}  # still selected, at municipal level
    assert read["reliability"]
    # The deviations (畸高畸低) are explained before finalising, as the selection's.
    for flag in read["deviations"]:
        ok(capsys, "explain", str(recognition), "--dossier", flag["code"], "--expert",
           str(flag["expert_id"]), "--text", "专家书面说明：已复核材料")  # fmt: skip
    ok(capsys, "recognition", "finalise", str(recognition), "--rectify-deadline", "2028-06-30")
    listing = tmp_path / "认定名单.xlsx"
    ok(capsys, "recognition", "list", str(recognition), "--out", str(listing))
    cells = " ".join(
        str(c) for row in load_workbook(listing).active.iter_rows(values_only=True) for c in row
    )
    assert ROUND in cells and "首批" not in cells

    # The whole history of a base in one place.
    history = json.loads(ok(capsys, "history", selection, "--dossier", dismissed, "--json"))
    assert [p["version"] for p in history["list_places"]] == [1, 2]
    assert [o["status"] for o in history["objections"]] == ["dismissed"]
    assert history["pilot"]["reports"][0]["summary"] == "实训中心主体完工"
    assert history["pilot"]["notes"][0]["text"] == "进度正常"
    [linked] = history["recognition"]
    expected = next(row for row in outcomes if row["code"] == dismissed)
    assert linked["round_name"] == ROUND and linked["outcome"] == expected["outcome"]
    upheld_history = json.loads(ok(capsys, "history", selection, "--dossier", upheld, "--json"))
    assert [p["adjusted_tier"] for p in upheld_history["list_places"]][-1] == "municipal"
    assert ok(capsys, "history", selection, "--dossier", upheld).count("【") == 6

    for project in (selection, str(recognition)):
        ok(capsys, "audit", "verify", project)

    if "://" in selection:
        return  # a server project does not move: the rest is about files
    # Moved together to another folder, the selection project still finds its round.
    moved = tmp_path / "归档"
    moved.mkdir()
    for path in (Path(selection), recognition):
        for part in path.parent.glob(path.name + "*"):
            shutil.move(part, moved / part.name)
    again = json.loads(
        ok(capsys, "history", str(moved / Path(selection).name), "--dossier", dismissed, "--json")
    )
    assert again["recognition"][0]["outcome"] == expected["outcome"]
