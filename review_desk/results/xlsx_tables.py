"""Styled, printable tables in a streaming (write-only) openpyxl workbook.

Every sheet of the results workbook is one table: a styled header row, frozen panes,
an autofilter, column widths measured by display width (a CJK character counts
double), number formats per column, fills per cell (tier colours), and print setup
(A4 landscape, fit to width, the header row repeated, the sheet's title in the page
header, page x of y and a signature line in the footer).

Write-only mode keeps memory flat for national rounds; it means every setting has to
be made before the first row is written, which is why ``write_table`` takes the whole
table at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from review_desk.i18n import _

HEADER_FILL = "1F4E79"
HEADER_FONT = "FFFFFF"
FONT_NAME = "宋体"  # what Chinese government tables print in; Excel, WPS and LO map it
SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIER_FILLS = {
    "provincial": "C6EFCE",
    "municipal": "DDEBF7",
    "not_recommended": "EDEDED",
    "ineligible": "FFC7CE",
    "tied": "FFEB9C",
}
# Excel measures columns in widths of "0" in the default font; CJK glyphs of 宋体 are a
# little wider than two of those.
WIDE = 1.1
# Runs of characters that are all East Asian Wide or Fullwidth (Unicode's
# East_Asian_Width W/F): CJK punctuation, ideographs, Hangul syllables, fullwidth
# forms. A regular expression counts these in one pass; any other non-ASCII character
# is looked up in unicodedata.
_COMMON_WIDE = "\u3000-\u303e\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff60\uffe0-\uffe6"
_WIDE_CHARS = re.compile(f"[{_COMMON_WIDE}]")
_OTHER_CHARS = re.compile(f"[^\x00-\x7f{_COMMON_WIDE}]")
_INVALID_TITLE = str.maketrans({c: "_" for c in "[]:*?/\\"})


def display_width(value: Any) -> int:
    """The width of a value as shown in a cell, in Latin character widths: a wide
    (CJK, full-width) character counts two; the longest line of a multi-line text."""
    if value is None:
        return 0
    if isinstance(value, float):
        text = f"{value:.2f}"
    elif isinstance(value, datetime):
        text = "0000-00-00 00:00"
    else:
        text = str(value)
    if text.isascii():
        return max(len(line) for line in text.split("\n"))
    return max(
        len(line)
        + len(_WIDE_CHARS.findall(line))
        + sum(unicodedata.east_asian_width(ch) in "WF" for ch in _OTHER_CHARS.findall(line))
        for line in text.split("\n")
    )


def sheet_title(text: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\."""
    return text.translate(_INVALID_TITLE)[:31]


@dataclass(frozen=True)
class Column:
    """One column of a table: its header and how its cells look."""

    header: str
    number_format: str | None = None
    min_width: float = 6
    max_width: float = 50
    wrap: bool = False
    # The fill colour (RGB hex) of a cell from its row, or None.
    fill: Callable[[Sequence[Any]], str | None] | None = None


def excel_value(value: Any) -> Any:
    """A Python value as Excel stores it: local naive times, no NaN, text for the rest."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, datetime):
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (bool, int, float, str, date)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return excel_value(value.item())
    return str(value)


HEADER_TEXT_LIMIT = 200  # of Excel's 255 per header; font and size codes take the rest
MAX_CELL_TEXT = 32_767  # Excel's limit on the text of a cell
# Types Excel stores as they are; floats go through excel_value, which drops NaN.
_NATIVE = frozenset({str, int, bool})


class _Styles:
    """The cell styles of one sheet, made once: openpyxl registers a style the first
    time it sees it, so reusing the objects keeps the per-cell cost low."""

    def __init__(self) -> None:
        side = Side(style="thin", color="8EA9C1")
        self.border = Border(left=side, right=side, top=side, bottom=side)
        self.header_font = Font(name=FONT_NAME, bold=True, color=HEADER_FONT, size=11)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.fills: dict[str, PatternFill] = {}

    def fill(self, colour: str) -> PatternFill:
        if colour not in self.fills:
            self.fills[colour] = PatternFill("solid", fgColor=colour)
        return self.fills[colour]


def write_table(
    workbook: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    print_title: str,
    footer_note: str = "",
    freeze_columns: int = 0,
) -> WriteOnlyWorksheet:
    """Add a sheet named ``title`` holding ``rows`` under ``columns``' headers.

    ``print_title`` heads every printed page; ``footer_note`` (the list's content hash)
    goes to the right of the footer. ``freeze_columns`` columns stay in view when
    scrolling sideways."""
    sheet: WriteOnlyWorksheet = workbook.create_sheet(sheet_title(title))
    styles = _Styles()
    count = len(columns)
    last = get_column_letter(max(count, 1))
    # Widths: the header's and every value's display width, within the column's limits.
    # A value can be at most twice its length wide, an ASCII one exactly its length,
    # and numbers as shown here fit in 11: most values need no measuring.
    widths = [display_width(c.header) * WIDE + 2 for c in columns]
    caps = [c.max_width for c in columns]
    extremes: list[float] = [0] * count
    for row in rows:
        for index, value in enumerate(row):
            current = widths[index]
            if value is None or current >= caps[index]:
                continue
            if type(value) is str:
                length = len(value)
                if length * 2 * WIDE + 2 <= current:
                    continue
                if value.isascii() and "\n" not in value:
                    measured = length * WIDE + 2
                else:
                    measured = display_width(value) * WIDE + 2
            elif type(value) is int or type(value) is float:
                # Numbers: only the largest magnitude matters, measured once below.
                if abs(value) > extremes[index]:
                    extremes[index] = abs(value)
                continue
            else:
                measured = display_width(value) * WIDE + 2
            if measured > current:
                widths[index] = measured
    for index, extreme in enumerate(extremes):
        if extreme > 0:
            widths[index] = max(widths[index], display_width(-extreme) * WIDE + 2)
    for index, column in enumerate(columns, start=1):
        width = min(max(widths[index - 1], column.min_width), column.max_width)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"{get_column_letter(freeze_columns + 1)}2"
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"  # the header alone when empty
    _print_setup(sheet, print_title, footer_note, len(rows))

    header = []
    for column in columns:
        cell = text_cell(sheet, column.header)  # expert and criterion names are data
        cell.font, cell.fill = styles.header_font, styles.header_fill
        cell.alignment, cell.border = styles.header_alignment, styles.border
        header.append(cell)
    sheet.row_dimensions[1].height = 30
    sheet.append(header)

    plain = [c.number_format is None and not c.wrap and c.fill is None for c in columns]
    limits = [sheet.column_dimensions[get_column_letter(i)].width for i in range(1, count + 1)]
    looks = _Looks(sheet, styles)
    for row in rows:
        values: list[Any] = []
        for index, value in enumerate(row):
            if type(value) is str:
                if value.startswith("=") or len(value) > MAX_CELL_TEXT:
                    values.append(text_cell(sheet, value))
                    continue
                if not value.isprintable() and _illegal(value):  # isprintable: C-fast
                    value = clean_text(value)
            elif type(value) is float:
                if value != value:  # NaN: an empty cell
                    value = None
            elif type(value) not in _NATIVE:
                value = excel_value(value)
            if plain[index] or value is None:
                values.append(value)
                continue
            column = columns[index]
            number_format = (
                column.number_format
                if column.number_format is not None and not isinstance(value, str)
                else None
            )
            # Wrap only the texts that need it: the others stay cheap plain cells.
            wrap = (
                column.wrap
                and isinstance(value, str)
                and len(value) * 2 * WIDE + 2 > limits[index]
                and ("\n" in value or display_width(value) * WIDE + 2 > limits[index])
            ) or (column.wrap and isinstance(value, str) and "\n" in value)
            colour = column.fill(row) if column.fill is not None else None
            if number_format is None and not wrap and not colour:
                values.append(value)
                continue
            cell = WriteOnlyCell(sheet, value)
            looks.apply(cell, number_format, wrap, colour)
            values.append(cell)
        sheet.append(values)
    return sheet


_illegal = ILLEGAL_CHARACTERS_RE.search


def clean_text(value: str) -> str:
    """Text without the control characters XML (and so .xlsx) cannot hold (pasted
    into a register cell, say): openpyxl refuses them."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cleaned


def text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A cell that shows ``value`` as text: openpyxl would store text starting with
    "=" as a formula (a malformed one makes Excel offer to repair the file, a crafted
    one is formula injection), and Excel refuses cells over 32,767 characters."""
    if len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + "…"
    cell = WriteOnlyCell(sheet, clean_text(value))
    cell.data_type = "s"
    return cell


class _Looks:
    """Cell styles by (number format, wrap, fill colour), registered with the workbook
    once and then copied to each cell.

    Setting ``cell.fill`` or ``cell.number_format`` makes openpyxl hash the style
    objects to find them in the workbook's tables, for every cell; copying the
    registered style array (``cell._style``, openpyxl's own per-cell record, the same
    thing ``copy(cell._style)`` does in openpyxl's documentation for copying styles)
    skips that and keeps a 50,000-row sheet near the speed of unstyled appends."""

    def __init__(self, sheet: WriteOnlyWorksheet, styles: _Styles) -> None:
        self._sheet, self._styles = sheet, styles
        self._arrays: dict[tuple[str | None, bool, str | None], Any] = {}

    def apply(
        self, cell: WriteOnlyCell, number_format: str | None, wrap: bool, colour: str | None
    ) -> None:
        key = (number_format, wrap, colour)
        array = self._arrays.get(key)
        if array is None:
            proto = WriteOnlyCell(self._sheet)
            if number_format is not None:
                proto.number_format = number_format
            if wrap:
                proto.alignment = self._styles.wrap
            if colour:
                proto.fill = self._styles.fill(colour)
            array = self._arrays[key] = proto._style
        cell._style = copy(array)


def discard(workbook: Workbook) -> None:
    """Drop a write-only workbook that will not be saved (an export cancelled or
    failed half-way): end its sheets' row streams and remove their temporary files.

    openpyxl has no public call for this; without it the streams complain when they
    are garbage-collected and the temporary files stay behind until the process ends."""
    for sheet in workbook.worksheets:
        rows = getattr(sheet, "_rows", None)
        writer = getattr(sheet, "_writer", None)
        try:
            if rows is not None:
                rows.close()
            if writer is not None:
                writer.close()
                writer.cleanup()
        except (OSError, ValueError, KeyError):
            continue


def _print_setup(sheet: WriteOnlyWorksheet, title: str, note: str, count: int) -> None:
    """A4 landscape, one page wide, header row on every page, title and footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.print_options.gridLines = True
    sheet.page_margins.top, sheet.page_margins.bottom = 0.9, 0.9
    sheet.page_margins.header, sheet.page_margins.footer = 0.4, 0.4
    sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = _header_text(title)
    sheet.oddHeader.center.size = 14
    sheet.oddHeader.center.font = f"{FONT_NAME},Bold"
    sheet.oddFooter.left.text = _("Signature: ____________  Date: ____________")
    sheet.oddFooter.center.text = _("Page &P of &N")
    if note:
        sheet.oddFooter.right.text = note
    for part in (sheet.oddFooter.left, sheet.oddFooter.center, sheet.oddFooter.right):
        part.size = 9
        part.font = FONT_NAME


def _header_text(text: str, limit: int = HEADER_TEXT_LIMIT) -> str:
    """Header and footer text treat & as a code: double it; and keep the whole header
    (with its font codes) within the 255 characters Excel accepts, or Excel offers to
    repair the file."""
    escaped = clean_text(text).replace("&", "&&")
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    if (len(cut) - len(cut.rstrip("&"))) % 2:  # do not split an escaped "&&"
        cut = cut[:-1]
    return cut + "…"
