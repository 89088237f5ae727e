"""Reading a register from .xlsx or .csv into rows of cells that remember where they came
from (sheet, row, column), whatever title rows, merged cells or header names it has."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.intake.bounded_read import (
    MAX_ROWS,
    FileRefused,
    read_text,
    read_xlsx_sheets,
    run_limited,
)
from review_desk.intake.register_format import COLUMN_BY_KEY, column_for_header
from review_desk.intake.text_normalize import clean

HEADER_SEARCH_ROWS = 30
MIN_HEADER_MATCHES = 4


class RegisterReadError(UserError):
    """The file cannot be read as a register at all; the message says why."""


@dataclass(frozen=True)
class Cell:
    """One cell: its raw value, its text, and where it is."""

    value: Any
    text: str
    column_letter: str
    header: str


@dataclass
class RawRow:
    """A data row of the register, cells keyed by column key."""

    sheet: str
    row: int  # 1-based, as Excel shows it
    cells: dict[str, Cell] = field(default_factory=dict)

    def text(self, key: str) -> str:
        """Return the text of a column, or "" when the column is absent."""
        cell = self.cells.get(key)
        return cell.text if cell else ""

    def is_blank(self) -> bool:
        """Return True when every cell of the row is empty."""
        return all(not c.text for c in self.cells.values())


@dataclass
class RegisterTable:
    """The rows read from a register, with what the header row told us."""

    path: Path
    sheet: str
    header_row: int
    columns: dict[str, str]  # column key -> header text found
    column_letters: dict[str, str]
    rows: list[RawRow]
    missing_required: list[str]


def column_letter(index: int) -> str:
    """Return the Excel letter of a 1-based column index (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_text(value: Any) -> str:
    """Return what a cell shows, as text: numbers without a spurious ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != time()
            else value.strftime("%Y-%m-%d")
        )
    if isinstance(value, date):
        return value.isoformat()
    return clean(str(value))


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[int, str]] | None:
    best: tuple[int, dict[int, str]] | None = None
    for r, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[int, str] = {}
        for c, value in enumerate(values):
            if isinstance(value, str):
                key = column_for_header(value)
                if key and key not in found.values():
                    found[c] = key
        usable = "applicant" in found.values() and len(found) >= MIN_HEADER_MATCHES
        if usable and (best is None or len(found) > len(best[1])):
            best = (r, found)
    return best


def _table_from_grid(path: Path, sheet: str, grid: list[list[Any]]) -> RegisterTable | None:
    header = _find_header(grid)
    if header is None:
        return None
    header_index, found = header
    header_values = grid[header_index]
    rows = []
    for r in range(header_index + 1, len(grid)):
        values = grid[r]
        row = RawRow(sheet=sheet, row=r + 1)
        for c, key in found.items():
            value = values[c] if c < len(values) else None
            row.cells[key] = Cell(
                value, cell_text(value), column_letter(c + 1), str(header_values[c])
            )
        if not row.is_blank():
            rows.append(row)
    return RegisterTable(
        path=path,
        sheet=sheet,
        header_row=header_index + 1,
        columns={key: clean(str(header_values[c])) for c, key in found.items()},
        column_letters={key: column_letter(c + 1) for c, key in found.items()},
        rows=rows,
        missing_required=[
            COLUMN_BY_KEY[key].header
            for key in COLUMN_BY_KEY
            if COLUMN_BY_KEY[key].required and key not in found.values()
        ],
    )


def _read_xlsx(path: Path) -> RegisterTable:
    sheets = read_xlsx_sheets(path, max_rows=MAX_ROWS)
    for sheet in sheets:
        # A value merged over several cells (an applicant over its direction rows)
        # belongs to every cell of the range.
        sheet.fill_merges()
        table = _table_from_grid(path, sheet.title, sheet.rows)
        if table is not None:
            return table
    raise RegisterReadError(
        tr(
            "No header row found in {file}: a register needs at least a column for the "
            "lead applicant and three other known columns (e.g. 统一社会信用代码, 产业方向, "
            "申报级别).",
            file=path.name,
        )
    )


def decode_text(data: bytes) -> str:
    """Decode a CSV file written as UTF-8 (with or without BOM) or GBK/GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegisterReadError(tr("The file is neither UTF-8 nor GBK text."))


def _read_csv(path: Path) -> RegisterTable:
    text = read_text(path)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    grid: list[list[Any]] = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    if len(grid) > MAX_ROWS:
        raise RegisterReadError(tr("The file has more than {limit} rows.", limit=MAX_ROWS))
    table = _table_from_grid(path, path.stem, grid)
    if table is None:
        raise RegisterReadError(
            tr(
                "No header row found in {file}: a register needs at least a column for the "
                "lead applicant and three other known columns (e.g. 统一社会信用代码, 产业方向, "
                "申报级别).",
                file=path.name,
            )
        )
    return table


def read_register(path: Path) -> RegisterTable:
    """Read a register file (.xlsx or .csv) in a worker process limited in time and
    memory (see ``bounded_read``); raise RegisterReadError saying why it cannot be."""
    if not path.is_file():
        raise RegisterReadError(tr("Register file not found: {path}", path=path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".csv", ".txt"):
        try:
            return run_limited(read_register_here, path, file=path.name)
        except FileRefused as error:
            raise RegisterReadError(str(error)) from error
    if suffix in (".xls", ".et", ".ods"):
        raise RegisterReadError(
            tr(
                "{file}: this format is not supported; in Excel or WPS use 另存为 and choose "
                "Excel 工作簿 (*.xlsx).",
                file=path.name,
            )
        )
    raise RegisterReadError(tr("{file}: a register must be an .xlsx or .csv file.", file=path.name))


def read_register_here(path: Path) -> RegisterTable:
    """Read a register in this process, with the size limits but no time or memory
    limit: the worker's function; call :func:`read_register` instead."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_csv(path)
