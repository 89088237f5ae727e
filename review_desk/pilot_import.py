"""Milestones imported from an Excel sheet (建设进度节点表): one row per milestone with the
columns 申报编号, 节点, 计划完成日期 and 说明, read from the workbook's first sheet in a
worker process limited in time and memory, every problem located (sheet, row, column)
as the expert pool's import does, and nothing stored while any remains. Also the
template the agency fills in.

Like the register and the roster, the sheet is a Chinese form exchanged with the
agency's staff: its headers and instructions are part of the format, not UI text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from review_desk.audit import Clock, utc_now
from review_desk.errors import file_refusal
from review_desk.i18n import _, tr
from review_desk.intake.bounded_read import FileRefused, first_sheet, run_limited
from review_desk.intake.register_reader import RegisterReadError, cell_text, column_letter
from review_desk.intake.register_rows import parse_datetime
from review_desk.intake.template_sheet import list_columns, start_template_sheet
from review_desk.intake.text_normalize import fold
from review_desk.pilot import (
    MAX_TITLE,
    NewMilestone,
    PilotError,
    add_milestones,
    running_pilot,
    selected_bases,
)
from review_desk.pilot_plan import MIN_TITLE, parse_day
from review_desk.pool import RosterIssue
from review_desk.project import Project

# Each column's spellings, the template's first.
HEADERS = {
    "code": ("申报编号", "编号", "项目编号"),
    "title": ("节点", "建设节点", "进度节点", "任务"),
    "due": ("计划完成日期", "完成日期", "计划完成时间", "完成时间"),
    "description": ("说明", "备注", "节点说明"),
}
REQUIRED = ("code", "title", "due")
SHEET = "建设进度节点"
TITLE = "试点培育建设进度节点"
HEADER_ROW = 2


@dataclass(frozen=True)
class _Column:
    key: str
    header: str
    required: bool
    width: float
    hint: str


COLUMNS = (
    _Column("code", "申报编号", True, 16, "公布名单中的申报编号，如“SX2022-07-001”。"),
    _Column("title", "节点", True, 40, "建设进度节点的任务，如“完成实训场地改造和设备招标”。"),
    _Column(
        "due", "计划完成日期", True, 16, "日期，如“2022-06-30”；只写月份（2022年6月）时按月末计。"
    ),
    _Column("description", "说明", False, 40, "可不填。"),
)


@dataclass
class MilestoneImport:
    """What importing a milestone sheet did: its problems, or how many were stored."""

    issues: list[RosterIssue] = field(default_factory=list)
    stored: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        """True when the sheet had no problem (its milestones were stored)."""
        return not self.issues


def _read(path: Path) -> tuple[str, list[list[Any]]]:
    refusal = file_refusal(path)
    if refusal is not None:
        raise PilotError(refusal)
    try:
        return run_limited(first_sheet, path, file=path.name)
    except (FileRefused, RegisterReadError) as error:
        raise PilotError(str(error)) from error


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    names = {fold(h): key for key, spellings in HEADERS.items() for h in spellings}
    for index, row in enumerate(rows[:20]):
        found = {
            names[fold(str(v))]: c
            for c, v in enumerate(row)
            if v is not None and fold(str(v)) in names
        }
        if all(key in found for key in REQUIRED):
            return index, found
    return None


def _due(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial date in a cell not formatted as a date, as the register reads it.
        stamp = parse_datetime(value)
        return stamp.date() if stamp is not None else None
    return parse_day(cell_text(value))


def check_sheet(path: Path, codes: dict[str, int]) -> tuple[list[NewMilestone], list[RosterIssue]]:
    """Read and check a milestone sheet against the selected bases (``codes``: code ->
    dossier id): its milestones, and every problem located."""
    sheet, rows = _read(path)
    found = _header(rows)
    if found is None:
        raise PilotError(
            _("No header row with 申报编号, 节点 and 计划完成日期 found in the sheet.")
        )
    header_index, columns = found
    issues: list[RosterIssue] = []
    items: list[NewMilestone] = []
    for number, cells in enumerate(rows[header_index + 1 :], start=header_index + 2):
        raw = {k: cells[c] if c < len(cells) else None for k, c in columns.items()}
        values = {k: cell_text(v) for k, v in raw.items()}
        if not any(values.values()):
            continue

        def problem(
            key: str, problem: str, number: int = number, values: dict[str, str] = values
        ) -> None:
            letter = column_letter(columns[key] + 1)
            value = values.get(key, "")
            issues.append(
                RosterIssue(number, HEADERS[key][0], value, problem, sheet=sheet, letter=letter)
            )

        dossier_id = codes.get(fold(values["code"]))
        if not values["code"]:
            problem("code", _("empty"))
        elif dossier_id is None:
            problem("code", _("not a selected base on the published list"))
        title = " ".join(values["title"].split())
        if not title:
            problem("title", _("empty"))
        elif len(title) < MIN_TITLE:
            problem("title", tr("shorter than {count} characters", count=MIN_TITLE))
        elif len(title) > MAX_TITLE:
            problem("title", tr("longer than {count} characters", count=MAX_TITLE))
        due = _due(raw["due"])
        if due is None:
            problem("due", _("not a date (e.g. 2022-06-30)"))
        if dossier_id is not None and due is not None and len(title) >= MIN_TITLE:
            items.append(NewMilestone(dossier_id, title, due, values.get("description", "")))
    return items, issues


def import_milestones(
    project: Project, path: Path, *, actor: str = "agency", clock: Clock = utc_now
) -> MilestoneImport:
    """Import a milestone sheet: every row stored (source ``import``), or none while any
    row has a problem. A milestone a base has already is not stored twice."""
    with project.reading() as session:
        running_pilot(session)
        codes = {fold(b.code): b.dossier_id for b in selected_bases(session).values()}
    items, issues = check_sheet(path, codes)
    if issues:
        return MilestoneImport(issues=issues, rows=len(items) + len(issues))
    ids = add_milestones(project, items, source="import", actor=actor, clock=clock)
    return MilestoneImport(stored=len(ids), rows=len(items))


def write_template(path: Path, project: Project | None = None) -> None:
    """Write the milestone sheet template; with ``project``, one example row per
    selected base (its code filled in)."""
    from openpyxl import Workbook

    codes: list[str] = []
    if project is not None:
        with project.reading() as session:
            codes = [b.code for b in selected_bases(session).values()]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    start_template_sheet(sheet, TITLE, COLUMNS, header_row=HEADER_ROW, header_height=24)
    for row, code in enumerate(codes, start=HEADER_ROW + 1):
        sheet.cell(row=row, column=1, value=code)
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 90
    notes["A1"] = "试点培育建设进度节点填写说明"
    notes["A3"] = (
        "每行填写一个建设进度节点。红色表头为必填项；"
        "表头行可在前 20 行内任意位置，列的顺序可以调整。"
    )
    notes["A4"] = (
        "导入时逐行检查：申报编号须为公布名单中的省级或市（县）级基地，节点不能为空，"
        "计划完成日期须为日期；有任何问题时整张表都不导入，并列出问题所在的行和列。"
    )
    notes["A5"] = (
        "再次导入同一张表不会重复登记：同一基地节点和计划完成日期都相同的视为同一节点。"
        "导入命令：review-desk pilot milestone import 项目.rdp 节点表.xlsx。"
    )
    list_columns(notes, COLUMNS)
    workbook.active = 0
    workbook.properties.title = TITLE
    workbook.properties.creator = "评审台 Review Desk"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
