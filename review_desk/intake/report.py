"""The intake report as an Excel file: a list of the problems, and a copy of the register
with each offending cell highlighted and commented."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from review_desk.i18n import _
from review_desk.intake.register_reader import decode_text
from review_desk.intake.register_rows import ERROR, Issue

ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"


def write_issue_report(target: Path, register: Path, issues: Sequence[Issue]) -> None:
    """Write the report: sheet 问题清单 first, then the register with highlights."""
    import csv
    import io

    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    if register.suffix.lower() in (".xlsx", ".xlsm") and register.is_file():
        try:
            workbook = load_workbook(register)
        except Exception:  # an unreadable register still gets its list of problems
            workbook = Workbook()
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = register.stem[:31] or "register"
        if register.is_file():
            text = decode_text(register.read_bytes())
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
