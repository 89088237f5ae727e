"""The intake report as an Excel file: a list of the problems, and a copy of the register
with each offending cell highlighted and commented."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from review_desk.i18n import _
from review_desk.intake.bounded_read import (
    MAX_MERGED_CELLS,
    FileRefused,
    read_text,
    read_xlsx_sheets,
    run_limited,
)
from review_desk.intake.register_rows import ERROR, Issue

ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"


def write_issue_report(target: Path, register: Path, issues: Sequence[Issue]) -> None:
    """Write the report: sheet 问题清单 first, then the register with highlights.

    Copying the register means loading the user's whole workbook (a merged range over
    the whole sheet would be expanded cell by cell), so that is done in a worker limited
    in time and memory (see ``bounded_read``); when the copy is refused, the report
    still lists every problem, without the copy."""
    try:
        run_limited(write_report_here, target, register, list(issues), file=register.name)
    except FileRefused:
        write_report_here(target, register, issues, copy_register=False)


def write_report_here(
    target: Path, register: Path, issues: Sequence[Issue], copy_register: bool = True
) -> None:
    """Write the report in this process: the worker's function."""
    import csv
    import io

    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    if not copy_register or not register.is_file():
        workbook = Workbook()
        workbook.remove(workbook.active)
    elif register.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            # openpyxl makes an object per merged cell: a merge over the whole sheet
            # would never finish, so such a register is not copied.
            sheets = read_xlsx_sheets(register)
            if any(sheet.merged_area > MAX_MERGED_CELLS for sheet in sheets):
                workbook = Workbook()
            else:
                workbook = load_workbook(register)
        except Exception:  # an unreadable register still gets its list of problems
            workbook = Workbook()
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = register.stem[:31] or "register"
        text = read_text(register)
        for row in csv.reader(io.StringIO(text)):
            sheet.append(row)
    for issue in issues:
        if not issue.row or not issue.column or issue.sheet not in workbook.sheetnames:
            continue
        cell = workbook[issue.sheet][f"{issue.column}{issue.row}"]
        colour = ERROR_FILL if issue.severity == ERROR else WARNING_FILL
        cell.fill = PatternFill("solid", fgColor=colour)
        note = f"{issue.problem}。{issue.fix}"
        cell.comment = Comment(
            f"{cell.comment.text}\n{note}" if cell.comment else note, _("Review Desk")
        )
    problems = workbook.create_sheet(_("Problems"), 0)
    headers = [
        _("No."),
        _("Sheet"),
        _("Row"),
        _("Column"),
        _("Header"),
        _("Value"),
        _("Problem"),
        _("How to fix"),
        _("Severity"),
    ]
    problems.append(headers)
    for cell in problems[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F2")
    for number, issue in enumerate(issues, start=1):
        problems.append(
            [
                number,
                issue.sheet,
                issue.row or "",
                issue.column,
                issue.header,
                issue.value,
                issue.problem,
                issue.fix,
                _("error") if issue.severity == ERROR else _("warning"),
            ]
        )
        fill = ERROR_FILL if issue.severity == ERROR else WARNING_FILL
        problems.cell(row=problems.max_row, column=9).fill = PatternFill("solid", fgColor=fill)
    for letter, width in zip("ABCDEFGHI", (6, 14, 6, 6, 16, 28, 48, 48, 8), strict=True):
        problems.column_dimensions[letter].width = width
    for row in problems.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    problems.freeze_panes = "A2"
    workbook.active = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
