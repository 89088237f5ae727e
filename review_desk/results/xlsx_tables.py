"""Styled, printable tables in a streaming (write-only) openpyxl workbook.

Every sheet of the results workbook is one table: a styled header row, frozen panes,
an autofilter, column widths measured by display width (a CJK character counts
double), number formats per column, fills per cell (tier colours), long text wrapped
in rows made tall enough for it, and print setup (A4 landscape at a readable scale,
the header row and the first columns repeated, the sheet's title in the page header,
page x of y and a signature line in the footer).

Write-only mode keeps memory flat for national rounds; it means every setting (the
column widths among them) has to be made before the first row is written, which is
why ``write_table`` reads the rows twice: once to measure them, once to write them (a
generator's rows are kept in a temporary file in between, not in memory)."""

from __future__ import annotations

import itertools
import math
import pickle
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import RowDimension

from review_desk.domain import Tier
from review_desk.i18n import _

HEADER_FILL = "1F4E79"
HEADER_FONT = "FFFFFF"
FONT_NAME = "宋体"  # what Chinese government tables print in; Excel, WPS and LO map it
SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIER_FILLS: dict[str, str] = {
    Tier.PROVINCIAL: "C6EFCE",
    Tier.MUNICIPAL: "DDEBF7",
    Tier.NOT_RECOMMENDED: "EDEDED",
    Tier.INELIGIBLE: "FFC7CE",
    Tier.TIED: "FFEB9C",
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

# Printing. Cells are in the workbook's default 11 pt font; printed at 73% or more, it
# is 8 pt or more, the smallest a signed document should use.
BODY_FONT_PT = 11
MIN_SCALE = 73
# A sheet too wide for one page at MIN_SCALE prints at this scale, its columns split
# over pages with the first columns repeated on each.
SPLIT_SCALE = 75
A4_LANDSCAPE_WIDTH_PT = 841.89
SIDE_MARGIN_IN = 0.5
PRINT_WIDTH_SLACK = 1.34
# One line of 11 pt text with its leading: CJK fonts (宋体, Noto Sans CJK) need more
# than Excel's default 15 pt.
LINE_HEIGHT_PT = 16


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
# Text openpyxl stores as an error value, not as text.
_ERROR_CODES = frozenset(ERROR_CODES)
# Rows a temporary file holds per record: big enough that reading them back costs
# little per row, small enough that memory stays flat.
_SPOOL_BATCH = 2_000


class _Styles:
    """The cell styles of one sheet, made once: openpyxl registers a style the first
    time it sees it, so reusing the objects keeps the per-cell cost low."""

    def __init__(self) -> None:
        side = Side(style="thin", color="8EA9C1")
        self.border = Border(left=side, right=side, top=side, bottom=side)
        self.header_font = Font(name=FONT_NAME, bold=True, color=HEADER_FONT, size=11)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        # Bottom, as the row's other cells: one baseline when a row is taller than needed.
        self.wrap = Alignment(wrap_text=True)
        self.fills: dict[str, PatternFill] = {}

    def fill(self, colour: str) -> PatternFill:
        if colour not in self.fills:
            self.fills[colour] = PatternFill("solid", fgColor=colour)
        return self.fills[colour]


class _Rows:
    """A table's rows, read twice (once to measure the columns, once to write them,
    since a write-only sheet takes its column widths before its first row) though its
    source may be read only once: a list is read twice as it is; any other iterable (a
    generator streaming a national round's rows) goes to a temporary file on the first
    reading, a batch of rows per record, and comes back from it on the second, so
    memory stays flat however long the table."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._source = rows
        self._spool: IO[bytes] | None = None
        self.count = 0

    def __enter__(self) -> _Rows:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._spool is not None:
            self._spool.close()

    def first(self) -> Iterator[Sequence[Any]]:
        """The rows, from their source; counts them."""
        if isinstance(self._source, list):
            self.count = len(self._source)
            yield from self._source
            return
        # Closed (and so deleted) when the table is written: see __exit__.
        spool = self._spool = tempfile.TemporaryFile(prefix="review-desk-rows-")  # noqa: SIM115
        batch: list[Sequence[Any]] = []
        for row in self._source:
            batch.append(row)
            if len(batch) == _SPOOL_BATCH:
                pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                self.count += len(batch)
                yield from batch
                batch = []
        if batch:
            pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
            self.count += len(batch)
            yield from batch

    def again(self) -> Iterator[Sequence[Any]]:
        """The same rows once more (after :meth:`first` has read them all)."""
        if self._spool is None:
            yield from self._source
            return
        self._spool.seek(0)
        # Our own file, written moments ago by this process: nothing else unpickled.
        for _batch in range(math.ceil(self.count / _SPOOL_BATCH)):
            yield from pickle.load(self._spool)


_NUMBERS = frozenset({type(None), int, float})
_TEXTS = frozenset({type(None), str})
# Rows measured together, a column at a time.
_MEASURE_BATCH = 1_000


def _measure(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> list[float]:
    """Each column's width: the header's and every value's display width, within the
    column's limits. A value can be at most twice its length wide, an ASCII one exactly
    its length, and numbers as shown here fit in 11: most values need no measuring.
    Rows are measured a batch at a time, a column at a time, so that a column of
    numbers or of short texts (most of a national round's cells) is measured by a few
    calls in C rather than a step per cell."""
    widths = [header_width(c.header) for c in columns]
    caps = [c.max_width for c in columns]
    extremes: list[float] = [0] * len(columns)
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _MEASURE_BATCH:
            _measure_batch(batch, widths, caps, extremes)
            batch = []
    _measure_batch(batch, widths, caps, extremes)
    for index, extreme in enumerate(extremes):
        if extreme > 0 and widths[index] < caps[index]:
            widths[index] = max(widths[index], display_width(-extreme) * WIDE + 2)
    return [min(max(w, c.min_width), c.max_width) for w, c in zip(widths, columns, strict=True)]


def _measure_batch(
    batch: list[Sequence[Any]], widths: list[float], caps: list[float], extremes: list[float]
) -> None:
    """Widen ``widths`` (and the numbers' largest magnitudes, ``extremes``) for a batch
    of rows."""
    for index, values in enumerate(itertools.zip_longest(*batch)):
        if index >= len(widths):
            break
        kinds = set(map(type, values))
        if kinds <= _NUMBERS:
            # Numbers: only the largest magnitude matters, measured once at the end.
            # (Zeros and None are dropped; a NaN first would win max(): count it out.)
            largest = max(map(abs, filter(None, values)), default=0)
            if largest != largest:
                largest = max((abs(v) for v in values if v is not None and v == v), default=0)
            extremes[index] = max(extremes[index], largest)
            continue
        current = widths[index]
        if current >= caps[index]:
            continue
        if kinds <= _TEXTS:
            # No text of the batch can be wider than twice the longest's length.
            longest = max(map(len, filter(None, values)), default=0)
            if longest * 2 * WIDE + 2 <= current:
                continue
        for value in values:
            if value is None:
                continue
            kind = type(value)
            if kind is float or kind is int:
                if value > extremes[index] or -value > extremes[index]:
                    extremes[index] = abs(value)
                continue
            if kind is str:
                length = len(value)
                if length * 2 * WIDE + 2 <= current:
                    continue
                if value.isascii() and "\n" not in value:
                    measured = length * WIDE + 2
                else:
                    measured = display_width(value) * WIDE + 2
            else:
                measured = display_width(value) * WIDE + 2
            if measured > current:
                widths[index] = current = measured
                if current >= caps[index]:
                    break


def write_table(
    workbook: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    print_title: str,
    footer_note: str = "",
    freeze_columns: int = 0,
) -> int:
    """Add a sheet named ``title`` holding ``rows`` under ``columns``' headers; return
    how many rows it holds.

    ``rows`` is read once (see :class:`_Rows`): a generator streams a long table
    without holding it. ``print_title`` heads every printed page; ``footer_note`` (the
    list's content hash) goes to the right of the footer. ``freeze_columns`` columns
    stay in view when scrolling sideways."""
    with _Rows(rows) as table:
        widths = _measure(columns, table.first())
        sheet = _StyledRowsSheet(workbook, sheet_title(title))
        _write(
            sheet,
            columns,
            widths,
            table.again(),
            table.count,
            print_title=print_title,
            footer_note=footer_note,
            freeze_columns=freeze_columns,
        )
        return table.count


def _write(
    sheet: _StyledRowsSheet,
    columns: Sequence[Column],
    widths: list[float],
    rows: Iterable[Sequence[Any]],
    count: int,
    *,
    print_title: str,
    footer_note: str,
    freeze_columns: int,
) -> None:
    """Set up ``sheet`` (widths, panes, filter, printing) and write its header and
    ``count`` ``rows``."""
    styles = _Styles()
    last = get_column_letter(max(len(columns), 1))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"{get_column_letter(freeze_columns + 1)}2"
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"  # the header alone when empty
    _print_setup(sheet, print_title, footer_note, print_layout(widths, freeze_columns))

    header = []
    for column in columns:
        cell = text_cell(sheet, column.header)  # expert and criterion names are data
        cell.font, cell.fill = styles.header_font, styles.header_fill
        cell.alignment, cell.border = styles.header_alignment, styles.border
        header.append(cell)
    # Rows of one line as tall as CJK text needs; taller ones get their own height.
    sheet.sheet_format.defaultRowHeight = LINE_HEIGHT_PT + 3
    sheet.sheet_format.customHeight = True
    header_lines = max(
        (text_lines(c.header, w) for c, w in zip(columns, widths, strict=True)), default=1
    )
    sheet.row_dimensions[1].height = max(30, LINE_HEIGHT_PT * header_lines + 4)
    sheet.append((header, ()))

    looks = _Looks(sheet, styles)
    # Each column's looks on a row of one line with no fill: most rows.
    plain = [looks.of(c.number_format, False, None) for c in columns]
    wrapping = [i for i, c in enumerate(columns) if c.wrap]
    filled = [(i, c.fill) for i, c in enumerate(columns) if c.fill is not None]
    formats = [c.number_format for c in columns]
    # One row dimension per height, shared by the rows of that height: the writer reads
    # only its height, and making one per row costs a tenth of a national round's time.
    row_heights: dict[int, RowDimension] = {}
    for number, row in enumerate(rows, start=2):
        # Lines of the row's longest wrapped text: the row is made that tall, since not
        # every program grows a row for its wrapped text. (Its other cells keep Excel's
        # bottom alignment: styling every cell of a tall row would double the time of a
        # national round's sheets.)
        lines = 1
        wrapped: list[int] = []
        for index in wrapping:
            value = row[index] if index < len(row) else None
            if type(value) is str and ("\n" in value or len(value) * 2 * WIDE + 2 > widths[index]):
                needed = text_lines(value, widths[index])
                if needed > 1:
                    wrapped.append(index)
                    lines = max(lines, needed)
        if lines > 1:
            heights = row_heights.get(lines)
            if heights is None:
                heights = row_heights[lines] = RowDimension(sheet, ht=LINE_HEIGHT_PT * lines + 4)
            sheet.row_dimensions[number] = heights
        row_looks = plain
        if filled or wrapped:
            row_looks = plain.copy()
            # Wrap only the texts that need it: the others stay cheap plain cells.
            for index in wrapped:
                row_looks[index] = looks.of(formats[index], True, None)
            for index, fill in filled:
                colour = fill(row)
                if colour:
                    row_looks[index] = looks.of(formats[index], index in wrapped, colour)
        sheet.append((row, row_looks))


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


# A look: the registered style of a number (or date) and of a text in a cell, each as
# openpyxl's style array with its index in the workbook's styles, or None (no style).
_Style = tuple[StyleArray, int]
_Look = tuple[_Style | None, _Style | None]


class _Looks:
    """Cell looks by (number format, wrap, fill colour), registered with the workbook
    once: a text cell takes no number format, a number takes the column's."""

    def __init__(self, sheet: WriteOnlyWorksheet, styles: _Styles) -> None:
        self._sheet, self._styles = sheet, styles
        self._styles_made: dict[tuple[str | None, bool, str | None], _Style | None] = {}
        self._looks: dict[tuple[str | None, bool, str | None], _Look | None] = {}

    def of(self, number_format: str | None, wrap: bool, colour: str | None) -> _Look | None:
        """The look of a column's cells; None when neither a number nor a text in it
        has a style (most rows of most columns)."""
        key = (number_format, wrap, colour)
        if key not in self._looks:
            number, text = self._style(number_format, wrap, colour), self._style(None, wrap, colour)
            self._looks[key] = None if number is None and text is None else (number, text)
        return self._looks[key]

    def _style(self, number_format: str | None, wrap: bool, colour: str | None) -> _Style | None:
        key = (number_format, wrap, colour)
        if key not in self._styles_made:
            style: _Style | None = None
            if number_format is not None or wrap or colour:
                proto = WriteOnlyCell(self._sheet)
                if number_format is not None:
                    proto.number_format = number_format
                if wrap:
                    proto.alignment = self._styles.wrap
                if colour:
                    proto.fill = self._styles.fill(colour)
                style = (proto._style, proto.style_id)  # style_id registers it
            self._styles_made[key] = style
        return self._styles_made[key]


class _Cell(Cell):  # type: ignore[misc]
    """A cell whose style is registered already: openpyxl would look its style up in
    the workbook's table (hashing it) for every cell it writes."""

    __slots__ = ("_style_id",)

    @property
    def style_id(self) -> int:
        return self._style_id  # type: ignore[no-any-return]


class _StyledRowsSheet(WriteOnlyWorksheet):  # type: ignore[misc]
    """A write-only sheet that takes each row as its values with their looks, and
    makes its cells with less per-cell work than openpyxl's own (which builds a cell
    object for every styled value, finds it by an exception and looks its style up by
    hashing): the values of the types a table holds (numbers, clean text) go to one
    reused cell per kind, as openpyxl does with unstyled values; anything else (dates,
    text needing care, cells made by the caller) takes openpyxl's own path. Each cell
    is written before the next is made, so reusing one is safe, as in openpyxl.

    ``append`` takes ``(values, looks)``: ``looks`` holds a :data:`_Look` (or None) per
    column, and may be shorter than ``values``."""

    def __init__(self, workbook: Workbook, title: str) -> None:
        super().__init__(workbook, title)
        workbook._add_sheet(self)
        self._plain_cell = _Cell(self, 1, 1)
        self._styled_cell = _Cell(self, 1, 1)

    def _values_to_row(self, row: Any, row_idx: int) -> Iterator[Cell]:
        values, looks = row
        plain, styled = self._plain_cell, self._styled_cell
        plain.row = styled.row = row_idx
        known = len(looks)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            kind = type(value)
            if kind is float:
                if value != value:  # NaN: an empty cell
                    continue
                data_type, text = "n", False
            elif kind is int:
                data_type, text = "n", False
            elif kind is str:
                if value.startswith("=") or len(value) > MAX_CELL_TEXT:
                    cell = text_cell(self, value)  # as text, unstyled
                    cell.column, cell.row = col_idx, row_idx
                    yield cell
                    continue
                if not value.isprintable() and _illegal(value):  # isprintable: C-fast
                    value = clean_text(value)
                if value in _ERROR_CODES:
                    yield self._made(value, looks, col_idx, row_idx)
                    continue
                data_type, text = "s", True
            else:
                yield self._made(value, looks, col_idx, row_idx)
                continue
            look = looks[col_idx - 1] if col_idx <= known else None
            style = None if look is None else look[text]
            if style is None:
                cell = plain
            else:
                cell = styled
                cell._style, cell._style_id = style
            cell._value, cell.data_type = value, data_type
            cell.column = col_idx
            yield cell

    def _made(self, value: Any, looks: Sequence[_Look | None], col_idx: int, row_idx: int) -> Cell:
        """A cell of openpyxl's own for ``value`` (a date, an error code, a cell made by
        the caller) in its column's look."""
        if isinstance(value, Cell):
            cell = value
        else:
            value = excel_value(value)
            cell = WriteOnlyCell(self, value)
            look = looks[col_idx - 1] if col_idx <= len(looks) else None
            style = None if look is None or value is None else look[isinstance(value, str)]
            if style is not None:
                cell._style = style[0]
        cell.column, cell.row = col_idx, row_idx
        return cell


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


def column_points(width: float) -> float:
    """The printed width, in points, of a column of Excel width ``width``: that many
    widths of "0" in the default 11 pt font (7 pixels each) and 5 pixels of padding,
    and a third more: LibreOffice without Calibri measures a width in digits of DejaVu
    Sans, 7 pt each at 11 pt, not 5.25, and the page must hold the sheet in both."""
    return (width * 7 + 5) * 0.75 * PRINT_WIDTH_SLACK


def header_width(header: str) -> float:
    """The width a header asks of its column: headers wrap, so a Chinese one needs
    half its length (two lines); a Latin one (ICC(2,k)) its whole length."""
    measured = display_width(header)
    if header.isascii():
        return measured * WIDE + 2
    return math.ceil(measured / 4) * 2 * WIDE + 2


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes when wrapped in a column of Excel width ``width``
    (at most: the row of a long name is made this tall)."""
    room = max(width - 1.5, 1.0)  # the padding, and a word wrapped whole
    lines = 0
    for part in text.split("\n"):
        # Its UTF-8 length counts an ASCII character once and a CJK one three times, so
        # (bytes - characters) / 2 counts the wide ones, in C: measuring every name
        # with display_width took a tenth of a national round's export. Other
        # characters count as wide or half wide: a row a little taller, never cut.
        wide = (len(part.encode("utf-8", "surrogatepass")) - len(part)) / 2
        lines += max(1, math.ceil((len(part) + wide) * WIDE / room))
    return lines


@dataclass(frozen=True)
class PrintLayout:
    """How a sheet prints: its scale (per cent), whether it is one page wide, and how
    many of its first columns repeat on every page when its columns split."""

    scale: int
    one_page_wide: bool
    repeat_columns: int


def print_layout(widths: Sequence[float], repeat_columns: int) -> PrintLayout:
    """A sheet's print layout from its column widths: one page wide when that keeps
    the text at 8 pt or more; otherwise the columns split over pages at a readable
    scale, the first ``repeat_columns`` (the dossier, the applicant) on every page.

    The scale is set, not left to "fit to width": LibreOffice (7.x) reads fit to one
    page wide and any number tall as fit to one page, and squeezes a long sheet onto it."""
    usable = A4_LANDSCAPE_WIDTH_PT - 72 * 2 * SIDE_MARGIN_IN
    points = [column_points(w) for w in widths]
    fit = usable / max(sum(points), 1.0)
    if fit >= 1:
        return PrintLayout(100, True, 0)
    if fit * 100 >= MIN_SCALE:
        return PrintLayout(int(fit * 100), True, 0)
    # The repeated columns take at most half of each page.
    repeat = repeat_columns
    while repeat and sum(points[:repeat]) * SPLIT_SCALE / 100 > usable / 2:
        repeat -= 1
    return PrintLayout(SPLIT_SCALE, False, repeat)


def _print_setup(sheet: WriteOnlyWorksheet, title: str, note: str, layout: PrintLayout) -> None:
    """A4 landscape at the layout's scale, the header row (and the first columns of a
    sheet split over page widths) on every page, title and footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.scale = layout.scale
    sheet.sheet_properties.pageSetUpPr.fitToPage = False
    # Across, then down: each band of rows is read whole before the next one.
    sheet.page_setup.pageOrder = "overThenDown"
    sheet.print_options.horizontalCentered = layout.one_page_wide
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = SIDE_MARGIN_IN
    sheet.page_margins.top, sheet.page_margins.bottom = 0.9, 0.9
    sheet.page_margins.header, sheet.page_margins.footer = 0.4, 0.4
    sheet.print_title_rows = "1:1"
    if layout.repeat_columns:
        sheet.print_title_cols = f"A:{get_column_letter(layout.repeat_columns)}"
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
