"""Reading the files a user hands us (registers, rosters, score workbooks) with bounds.

An .xlsx file is a zip of XML: a few kilobytes can declare a sheet of 2,000 × 16,384
cells, a merged range over the whole sheet, or inflate to gigabytes. So a received
workbook is read in three guarded steps:

1. the archive is checked before any parsing: member count, declared total size, each
   member's compression ratio, and each member streamed with a hard cap (as
   ``review_desk.exchange.zipsafe`` does for packages);
2. cells are read streaming, row by row, keeping only the cells that hold a value and
   only up to a column limit; the used area is what the rows really hold, never the
   sheet's ``<dimension>``; merged ranges are clipped to that area;
3. all of it runs in a worker process with a time and a memory limit, as PDFs are
   read (see ``review_desk.intake.pdf_worker``); a worker killed for time or memory is
   a refusal that says so, never an empty result.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.intake.pdf_worker import _limit_memory

TIMEOUT_SECONDS = 30.0
MEMORY_MB = 1024
MAX_MEMBERS = 1_000
MAX_TOTAL_MB = 100  # declared uncompressed size of the whole workbook
MAX_RATIO = 200  # per member, for members above RATIO_FLOOR bytes
RATIO_FLOOR = 1 << 20
MAX_ROWS = 20_000
MAX_COLUMNS = 256  # cells further right are ignored (a register has about 16 columns)
MAX_CELLS = 2_000_000
MAX_MERGED_CELLS = 5_000_000  # cells filled from merged ranges, after clipping
MAX_TEXT_MB = 50
MAX_LINE_CHARS = 100_000

T = TypeVar("T")


class FileRefused(UserError):
    """A file is refused before or while reading it; the message says what was too big."""


@dataclass
class SheetGrid:
    """The values of one sheet: ``rows[i]`` is sheet row ``i + 1``, each row a list up to
    its last value (within the column limit), merged ranges listed as 1-based
    ``(min_row, min_col, max_row, max_col)`` already clipped to the used area."""

    title: str
    rows: list[list[Any]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    merged_area: int = 0  # cells the merged ranges declare, before clipping

    @property
    def width(self) -> int:
        """The number of columns used (the longest row)."""
        return max((len(r) for r in self.rows), default=0)

    def fill_merges(self) -> None:
        """Give every cell of a merged range the value of its top-left cell (a value
        merged over several rows belongs to each), within the used area only."""
        filled = 0
        for min_row, min_col, max_row, max_col in self.merges:
            top_row = self.rows[min_row - 1] if min_row <= len(self.rows) else []
            top = top_row[min_col - 1] if min_col <= len(top_row) else None
            if top is None:
                continue
            filled += (max_row - min_row + 1) * (max_col - min_col + 1)
            if filled > MAX_MERGED_CELLS:
                raise FileRefused(
                    tr(
                        "Sheet {sheet}: merged ranges cover more than {limit} cells.",
                        sheet=self.title,
                        limit=MAX_MERGED_CELLS,
                    )
                )
            for r in range(min_row - 1, max_row):
                row = self.rows[r]
                if len(row) < max_col:
                    row.extend([None] * (max_col - len(row)))
                row[min_col - 1 : max_col] = [top] * (max_col - min_col + 1)

    def padded(self) -> list[list[Any]]:
        """Return the rows, each padded with None to the used width."""
        width = self.width
        return [row + [None] * (width - len(row)) for row in self.rows]


def check_xlsx_archive(path: Path) -> None:
    """Refuse a workbook whose zip is unreasonable before any XML is parsed: too many
    members, too much declared content, a member compressed like a zip bomb, or a
    member that inflates to more than it declares."""
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FileRefused(
            tr("{file} is damaged or not an .xlsx workbook ({error}).", file=name, error=error)
        ) from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise FileRefused(
                tr(
                    "{file}: the workbook has {count} parts, more than the {limit} allowed.",
                    file=name,
                    count=len(infos),
                    limit=MAX_MEMBERS,
                )
            )
        total = sum(max(0, info.file_size) for info in infos)
        if total > MAX_TOTAL_MB << 20:
            raise FileRefused(
                tr(
                    "{file}: the workbook unpacks to {size} MB, more than the {limit} MB allowed.",
                    file=name,
                    size=f"{total / (1 << 20):,.0f}",
                    limit=MAX_TOTAL_MB,
                )
            )
        for info in infos:
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise FileRefused(
                    tr(
                        "{file}: part {member} is compressed {ratio}:1, more than the "
                        "{limit}:1 allowed (a zip bomb?).",
                        file=name,
                        member=info.filename[:80],
                        ratio=f"{ratio:,.0f}",
                        limit=MAX_RATIO,
                    )
                )
        for info in infos:
            _stream_member(archive, info, name)


def _stream_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Inflate a member chunk by chunk, counting, without keeping it."""
    limit = max(0, info.file_size)
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 20):
                read += len(chunk)
                if read > limit:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise FileRefused(
            tr("{file} is damaged or not an .xlsx workbook ({error}).", file=name, error=error)
        ) from error
    if read > limit:
        raise FileRefused(
            tr(
                "{file}: part {member} unpacks to more than it declares.",
                file=name,
                member=info.filename[:80],
            )
        )


def read_xlsx_sheets(
    path: Path,
    *,
    sheets: list[str] | None = None,
    first_only: bool = False,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
) -> list[SheetGrid]:
    """Read the values of a workbook's sheets (all, those named, or the first) streaming,
    in this process; call it through :func:`run_limited` on a received file."""
    from openpyxl import load_workbook

    check_xlsx_archive(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zip and XML errors of damaged files
        raise FileRefused(
            tr(
                "{file} is damaged or not an .xlsx workbook ({error}).",
                file=path.name,
                error=str(error)[:200],
            )
        ) from error
    try:
        grids = []
        for sheet in workbook.worksheets[:1] if first_only else workbook.worksheets:
            if sheets is None or sheet.title in sheets:
                grids.append(_read_sheet(workbook, sheet, path.name, max_rows, max_columns))
        return grids
    finally:
        workbook.close()


def _read_sheet(workbook: Any, sheet: Any, file: str, max_rows: int, max_columns: int) -> SheetGrid:
    from openpyxl.worksheet._reader import WorkSheetParser

    grid = SheetGrid(sheet.title)
    path = getattr(sheet, "_worksheet_path", None)
    if path is None:  # a chartsheet: no cells
        return grid
    rows: dict[int, list[Any]] = {}
    cells = 0
    with workbook._archive.open(path) as source:
        # The parser yields one <row> at a time and keeps the <mergeCell> refs as text;
        # nothing is sized from the sheet's <dimension>.
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, row_cells in parser.parse():
            values: list[Any] = []
            for cell in row_cells:
                column, value = cell["column"], cell["value"]
                if value is None or column > max_columns:
                    continue
                if value == "" and isinstance(value, str):
                    continue
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
                cells += 1
            if not values:
                continue
            if index > max_rows:
                raise FileRefused(
                    tr(
                        "Sheet {sheet} has more than {limit} rows.",
                        sheet=sheet.title,
                        limit=max_rows,
                    )
                )
            if cells > MAX_CELLS:
                raise FileRefused(
                    tr(
                        "Sheet {sheet} has more than {limit} cells with a value.",
                        sheet=sheet.title,
                        limit=MAX_CELLS,
                    )
                )
            rows[index] = values
        merged = parser.merged_cells
    used_rows = max(rows, default=0)
    grid.rows = [rows.get(r, []) for r in range(1, used_rows + 1)]
    used_columns = grid.width
    from openpyxl.utils.cell import range_boundaries

    for ref in getattr(merged, "mergeCell", None) or []:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.ref)
        except (TypeError, ValueError):
            continue
        if min_row is None or min_col is None or max_row is None or max_col is None:
            continue
        grid.merged_area += (max_row - min_row + 1) * (max_col - min_col + 1)
        # A range that starts beyond the used area has no value to spread; one that
        # runs past it (A1:XFD1048576) is clipped to it.
        if min_row > used_rows or min_col > used_columns:
            continue
        grid.merges.append((min_row, min_col, min(max_row, used_rows), min(max_col, used_columns)))
    return grid


def read_text(path: Path, *, max_mb: int = MAX_TEXT_MB, max_line: int = MAX_LINE_CHARS) -> str:
    """Read a text file (a CSV register or roster: UTF-8 or GBK) with a size and a line
    length limit."""
    from review_desk.intake.register_reader import decode_text

    size = path.stat().st_size
    if size > max_mb << 20:
        raise FileRefused(
            tr(
                "{file} is {size} MB, more than the {limit} MB allowed.",
                file=path.name,
                size=f"{size / (1 << 20):,.0f}",
                limit=max_mb,
            )
        )
    text = decode_text(path.read_bytes())
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > max_line:
            raise FileRefused(
                tr(
                    "{file}: line {line} is longer than {limit} characters.",
                    file=path.name,
                    line=number,
                    limit=max_line,
                )
            )
    return text


def first_sheet_rows(path: Path) -> list[list[Any]]:
    """Return the rows of a CSV file or of a workbook's first sheet (each row up to its
    last value), read with the limits above: a worker's function (rosters)."""
    return first_sheet(path)[1]


def first_sheet(path: Path) -> tuple[str, list[list[Any]]]:
    """Return the name of a workbook's first sheet (a CSV file's name) and its rows, as
    :func:`first_sheet_rows` does: a worker's function (the expert pool)."""
    if path.suffix.lower() in (".csv", ".txt"):
        import csv
        import io

        return path.name, [list(r) for r in csv.reader(io.StringIO(read_text(path)))]
    sheets = read_xlsx_sheets(path, first_only=True)
    return (sheets[0].title, sheets[0].rows) if sheets else (path.name, [])


def named_sheets_rows(path: Path, names: list[str]) -> dict[str, list[list[Any]]]:
    """Return the rows of the named sheets that a workbook has, each padded to its sheet's
    used width, read with the limits above: a worker's function (score workbooks)."""
    return {grid.title: grid.padded() for grid in read_xlsx_sheets(path, sheets=names)}


def _child(
    connection: Any, memory_mb: int, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    _limit_memory(memory_mb)
    try:
        result: tuple[str, Any] = ("ok", function(*args))
    except MemoryError:
        result = ("memory", None)
    except BaseException as error:  # every failure goes back to the parent
        result = ("error", error)
    try:
        connection.send(result)
    except MemoryError:
        connection.send(("memory", None))
    except Exception as error:  # an exception that cannot be pickled
        connection.send(("error", FileRefused(str(error)[:500])))
    finally:
        connection.close()


def run_limited(
    function: Callable[..., T],
    *args: Any,
    file: str,
    timeout: float = TIMEOUT_SECONDS,
    memory_mb: int = MEMORY_MB,
) -> T:
    """Run ``function(*args)`` (picklable, module level) in a worker process limited to
    ``timeout`` seconds and ``memory_mb`` of address space; return its result or raise
    the exception it raised. A worker that runs out of time or memory, or dies, raises
    :class:`FileRefused` naming ``file`` and the limit."""
    # spawn: a fork of a process that runs Qt threads is not safe.
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, memory_mb, function, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise FileRefused(
                tr(
                    "{file}: reading it took more than {seconds} seconds; the file was refused.",
                    file=file,
                    seconds=f"{timeout:g}",
                )
            )
        try:
            status, value = receiver.recv()
        except (EOFError, OSError):
            status, value = "died", None
    finally:
        receiver.close()
        if status_alive(process):
            process.kill()
        process.join()
    if status == "ok":
        return value  # type: ignore[no-any-return]
    if status == "error" and isinstance(value, BaseException):
        raise value
    if status == "memory" or process.exitcode in (-9, 137):
        raise FileRefused(
            tr(
                "{file}: reading it needs more than {limit} of memory; the file was refused.",
                file=file,
                limit=_size_text(memory_mb),
            )
        )
    raise FileRefused(
        tr(
            "{file}: the reading process stopped unexpectedly (exit code {code}); the file "
            "was refused.",
            file=file,
            code=process.exitcode,
        )
    )


def status_alive(process: Any) -> bool:
    """True while the worker process runs."""
    with contextlib.suppress(ValueError):
        return bool(process.is_alive())
    return False


def _size_text(memory_mb: int) -> str:
    return f"{memory_mb / 1024:g} GB" if memory_mb >= 1024 else f"{memory_mb} MB"
