"""The head of an Excel template for the agency (the register, the expert roster): the
title across the columns, a header row whose required columns are red with a comment
saying what to write, widths, and frozen panes. Shared so the templates look alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TemplateColumn(Protocol):
    """What a template column must say about itself."""

    @property
    def header(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def width(self) -> float: ...
    @property
    def hint(self) -> str: ...


def start_template_sheet(
    sheet: Any,
    title: str,
    columns: Sequence[TemplateColumn],
    *,
    header_row: int,
    header_height: float,
) -> Any:
    """Write the title and the header row; return the cell border the data rows use."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="B8C4D4")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.merge_cells(f"A1:{get_column_letter(len(columns))}1")
    sheet["A1"] = title
    sheet["A1"].font = Font(name="宋体", size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    fill = header_fill()
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=column.header)
        cell.font = Font(name="宋体", bold=True, color="9C0006" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        if column.hint:
            cell.comment = Comment(("（必填）" if column.required else "") + column.hint, "评审台")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[header_row].height = header_height
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    return border


def header_fill() -> Any:
    """The pale blue of the templates' header cells."""
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor="DCE6F2")


def list_columns(notes: Any, columns: Sequence[TemplateColumn]) -> None:
    """Finish a template's instructions sheet: its three paragraphs (rows 3–5) wrapped,
    then a table of the columns, whether each is required, and what to write in it."""
    from openpyxl.styles import Alignment, Font

    for row_number in (3, 4, 5):
        notes.merge_cells(f"A{row_number}:C{row_number}")
        notes[f"A{row_number}"].alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[row_number].height = 36
    notes.append([])
    notes.append(["列名", "必填", "填写要求"])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
        cell.fill = header_fill()
    for column in columns:
        notes.append([column.header, "是" if column.required else "", column.hint])
        notes.cell(row=notes.max_row, column=3).alignment = Alignment(wrap_text=True)
