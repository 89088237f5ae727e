"""Files and cells the post-list procedure refuses, said plainly (issue 17's adversarial
check): an empty file offered as an objection's evidence or as a progress report, a
folder offered as either, and a milestone task of 40,000 characters, whose refusal
shows the start of it rather than the whole value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.small_project import cli
from tests.test_pilot import _bases, _sheet, at, public, published  # noqa: F401  (fixtures)
from tests.test_publicity_objections import _listed, open_period


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, _out, err = cli(capsys, *argv)
    assert code == 2 and "Traceback" not in err, (code, err)
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_empty_or_folder_evidence_is_refused(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],  # noqa: F811
) -> None:
    project = str(finalised_project)
    code, _other = _listed(finalised_project)
    at("2026-12-02")
    assert cli(capsys, *open_period(project))[0] == 0
    empty = tmp_path / "举报材料.pdf"
    empty.write_bytes(b"")
    folder = tmp_path / "证据材料"
    folder.mkdir()
    add = ("objection", "add", project, "--dossier", code, "--anonymous", "--grounds", "材料不实")
    err = _refused(capsys, *add, "--evidence", str(empty))
    assert "举报材料.pdf" in err and "空文件" in err, err
    err = _refused(capsys, *add, "--evidence", str(folder))
    assert "证据材料" in err and "文件夹" in err and "找不到" not in err, err
    assert cli(capsys, *add)[0] == 0  # nothing was recorded by the refusals: this is No. 1
    err = _refused(capsys, "objection", "investigate", project, "--id", "1", "--assignee",
                   "李四", "--evidence", str(empty))  # fmt: skip
    assert "举报材料.pdf" in err and "空文件" in err, err


def test_empty_or_folder_report_is_refused(
    published: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [first] = _bases(published)[:1]
    empty = tmp_path / "进展报告.pdf"
    empty.write_bytes(b"")
    folder = tmp_path / "报告"
    folder.mkdir()
    add = ("pilot", "report", "add", published, "--dossier", first, "--submitted", "2026-12-08")
    err = _refused(capsys, *add, "--file", str(empty))
    assert "进展报告.pdf" in err and "空文件" in err, err
    err = _refused(capsys, *add, "--file", str(folder))
    assert "报告" in err and "文件夹" in err and "找不到" not in err, err


def test_a_very_long_task_is_shown_cut(
    published: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [first] = _bases(published)[:1]
    title = "完成实训场地改造" * 5000  # 40,000 characters
    sheet = _sheet(tmp_path / "节点.xlsx", [[first, title, "2027-06-30", ""]])
    code, out, _err = cli(capsys, "pilot", "milestone", "import", published, str(sheet))
    assert code == 1 and "第 2 行 B 列 节点「完成实训场地改造完成" in out, out[:300]
    assert len(out) < 500 and "…」" in out, len(out)
    code, out, _err = cli(capsys, "pilot", "milestone", "import", published, str(sheet), "--json")
    assert code == 1 and len(out) < 1000, len(out)


def test_a_very_long_roster_cell_is_shown_cut(
    finalised_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The expert pool's import report cuts a long value the same way."""
    workbook = Workbook()
    workbook.active.append(["姓名", "工作单位", "电话"])
    workbook.active.append(["王五", "太原理工大学", "1" * 30000])
    roster = tmp_path / "专家名单.xlsx"
    workbook.save(roster)
    code, out, err = cli(capsys, "experts", "import", str(finalised_project), str(roster))
    assert code != 0 and "「" + "1" * 30 + "…」" in out + err, (out + err)[:300]
    assert len(out + err) < 500, len(out + err)
