"""The formal-review table as an Excel file: one row per dossier with its verdict, the
reviewing department and the reasons."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from review_desk.domain import ApplicantKind, Level
from review_desk.formal_review import FAILED, PASSED, SUPPLEMENT, ReviewRow, verdict_label
from review_desk.formatting import local_time
from review_desk.i18n import _

_FILLS = {PASSED: "C6EFCE", FAILED: "FFC7CE", SUPPLEMENT: "FFEB9C", None: "DDEBF7"}


def export_reviews(target: Path, rows: Sequence[ReviewRow]) -> None:
    """Write the formal-review table to ``target`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Formal review")
    headers = [
        _("No."),
        _("Dossier no."),
        _("Lead applicant"),
        _("Kind"),
        _("Direction"),
        _("Level"),
        _("Reviewing department"),
        _("Verdict"),
        _("Supplement by"),
        _("Reasons"),
    ]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for number, row in enumerate(rows, start=1):
        sheet.append(
            [
                number,
                row.code,
                row.applicant,
                ApplicantKind(row.applicant_kind).label if row.applicant_kind != "unknown" else "",
                f"{row.direction_number:02d} {row.direction}",
                Level(row.level).label,
                row.department,
                verdict_label(row.verdict),
                local_time(row.supplement_deadline) if row.supplement_deadline else "",
                "\n".join(row.reasons),
            ]
        )
        sheet.cell(row=sheet.max_row, column=8).fill = PatternFill(
            "solid", fgColor=_FILLS[row.verdict]
        )
    widths = (6, 14, 30, 14, 18, 8, 26, 12, 16, 90)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:J{sheet.max_row}"
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
