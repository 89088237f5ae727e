"""Milestone sheets as the agency's staff really send them (issue 17's adversarial
check): the template filled in and re-saved by LibreOffice, dates as Excel serial
numbers, as text and as date-time cells, blank rows in the middle, a row twice, a task
of one character. Every problem is named by sheet, row and column, in Chinese."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.small_project import cli
from tests.support import libreoffice_convert
from tests.test_pilot import _bases, _sheet, at, public, published  # noqa: F401  (fixtures)


def test_a_libreoffice_sheet_with_every_kind_of_date(
    published: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second, third = _bases(published)[:3]
    template = tmp_path / "模板.xlsx"
    assert cli(capsys, "pilot", "milestone", "template", str(template))[0] == 0
    workbook = load_workbook(template)
    sheet = workbook.active
    rows = [
        [first, "完成实训场地改造", 46568, "Excel 日期序号"],  # 2027-06-30
        [None, None, None, None],  # a blank row in the middle
        [second, "设备安装调试", "2027年6月", ""],
        [third, "开展首期培训", datetime(2027, 9, 30, 17, 0), ""],
        [third, "开展首期培训", datetime(2027, 9, 30, 17, 0), ""],  # the same row twice
        [first, "课程开发", 46660.5, "带时间的序号"],  # 2027-09-30 noon
    ]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=3 + offset, column=column, value=value)
    sheet["C3"].number_format = "General"  # a serial number, not formatted as a date
    workbook.save(tmp_path / "filled.xlsx")
    if shutil.which("soffice"):
        resaved = libreoffice_convert(tmp_path / "filled.xlsx", "xlsx", tmp_path)
    else:  # pragma: no cover - LibreOffice absent
        resaved = tmp_path / "filled.xlsx"

    code, out, err = cli(capsys, "pilot", "milestone", "import", published, str(resaved))
    assert code == 0, out + err
    listed = json.loads(cli(capsys, "pilot", "milestone", "list", published, "--json")[1])
    assert sorted((x["code"], x["title"], x["due_on"]) for x in listed) == sorted(
        [
            (first, "完成实训场地改造", "2027-06-30"),
            (second, "设备安装调试", "2027-06-30"),
            (third, "开展首期培训", "2027-09-30"),
            (first, "课程开发", "2027-09-30"),
        ]
    )


def test_a_task_of_one_character_is_named_as_too_short(
    published: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [first] = _bases(published)[:1]
    bad = _sheet(tmp_path / "bad.xlsx", [[first, "修", "2027-06-30", ""], [first, "", 46568, ""]])
    code, out, _ = cli(capsys, "pilot", "milestone", "import", published, str(bad))
    assert code == 1
    assert "工作表 节点 第 2 行 B 列 节点「修」：少于 2 个字" in out, out
    assert "工作表 节点 第 3 行 B 列 节点「」：未填写" in out, out
    assert "计划完成日期" not in out  # 46568 is a day
