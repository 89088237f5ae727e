"""What the benchmarks share: timing a command as a whole process (wall time and peak
RSS), medians of runs in this process, and the export's floor (plain openpyxl
write-only appends of the same cells an exported workbook holds)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROWS_PER_CHUNK = 1_000  # rows pickled (and loaded back) at once


@dataclass
class Run:
    """A child process's wall time (s) and peak resident memory (MB)."""

    seconds: float
    peak_mb: float


def run_process(argv: Sequence[str]) -> Run:
    """Run a command with its output thrown away; its wall time and peak RSS (from
    ``os.wait4``: ru_maxrss, KiB on Linux)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        assert child.stderr is not None
        errors = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - start
    child.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: Popen must know
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {errors.decode(errors='replace')}")
    return Run(took, usage.ru_maxrss / 1024)


def median_process(argv: Sequence[str], runs: int) -> Run:
    """Median wall time and largest peak RSS over ``runs`` runs of a command."""
    done = [run_process(argv) for _ in range(runs)]
    return Run(statistics.median(r.seconds for r in done), max(r.peak_mb for r in done))


def median_time(work: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls in this process, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def verdict(met: bool) -> str:
    """How a line ends."""
    return "target met" if met else "NOT met"


def median_run(done: Sequence[Run]) -> Run:
    """The median wall time and the largest peak of several runs."""
    return Run(statistics.median(r.seconds for r in done), max(r.peak_mb for r in done))


def against_floor(
    label: str, done: Sequence[Run], floors: Sequence[Run], what: str, ratio_target: float,
    base_seconds: float | None = None,
) -> str:  # fmt: skip
    """One line: a command's median beside its floor's, the time and memory ratios and
    whether the time ratio meets ``ratio_target``. ``base_seconds``: what the ratio is
    taken to when it is not the floor (a floor below the process's own start)."""
    took, floor = median_run(done), median_run(floors)
    base = floor.seconds if base_seconds is None else base_seconds
    ratio = took.seconds / base
    to = "" if base_seconds is None else " (to the import floor)"
    return (
        f"{label} (defaults, whole process): {took.seconds:.2f} s, "
        f"{took.peak_mb:.0f} MB peak; floor ({what}) {floor.seconds:.2f} s, "
        f"{floor.peak_mb:.0f} MB peak; ratio {ratio:.1f}x{to}, memory "
        f"{took.peak_mb / floor.peak_mb:.1f}x (target <= {ratio_target:g} x: "
        f"{verdict(ratio <= ratio_target)})"
    )


# ------------------------------------------------------------------- the export floor


def _trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row read back without the empty cells read-only mode pads it with."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def workbook_rows(path: Path, folder: Path) -> list[tuple[str, Path]]:
    """Each sheet of a workbook read back once (openpyxl read-only) and pickled in
    chunks of rows, so that the floor times the writing only and holds one chunk at a
    time: (sheet title, pickle file)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    sheets = []
    try:
        for index, sheet in enumerate(book.worksheets):
            file = folder / f"sheet{index}.pickle"
            with open(file, "wb") as out:
                chunk: list[tuple[Any, ...]] = []
                for row in sheet.iter_rows(values_only=True):
                    chunk.append(_trimmed(row))
                    if len(chunk) == ROWS_PER_CHUNK:
                        pickle.dump(chunk, out)
                        chunk = []
                pickle.dump(chunk, out)
            sheets.append((sheet.title, file))
    finally:
        book.close()
    return sheets


def _chunks_of(file: Path) -> Iterator[list[tuple[Any, ...]]]:
    """The chunks of rows :func:`workbook_rows` pickled, one at a time."""
    with open(file, "rb") as source:
        while True:
            try:
                yield pickle.load(source)
            except EOFError:
                return


def write_floor(sheets: list[tuple[str, Path]], out: Path) -> tuple[float, int, int]:
    """Seconds to append the same cells to a plain write-only workbook and save it
    (loading the rows back is not timed); the number of cells and of non-empty ones."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    took, cells, filled = 0.0, 0, 0
    for title, file in sheets:
        sheet = book.create_sheet(title)
        for rows in _chunks_of(file):
            start = time.perf_counter()
            for row in rows:
                sheet.append(row)
            took += time.perf_counter() - start
            cells += sum(len(row) for row in rows)
            filled += sum(v is not None for row in rows for v in row)
    start = time.perf_counter()
    book.save(out)
    return took + time.perf_counter() - start, cells, filled


@dataclass
class ExportMeasure:
    """An export command beside its floor: medians (and the largest peak) of the runs."""

    export: Run
    floor: float
    cells: int
    filled: int
    runs: list[tuple[Run, float]]


def export_beside_floor(argv: Sequence[str], out: Path, runs: int, folder: Path) -> ExportMeasure:
    """Run the export command ``argv`` (which writes ``out``) ``runs`` times, each time
    followed by the floor, so that both see the same load on a shared machine. The
    reading back and the floor run in a worker process of their own: a child forked
    from a parent that holds the workbook's values would report the parent's memory as
    its own peak (Linux counts the forked pages in the child's ru_maxrss)."""
    done: list[tuple[Run, float]] = []
    sheets: list[tuple[str, Path]] = []
    cells = filled = 0
    for _run in range(runs):
        export = run_process(argv)
        with multiprocessing.get_context("spawn").Pool(1) as worker:
            if not sheets:  # read back once, outside any timing
                sheets = worker.apply(workbook_rows, (out, folder))
            took, cells, filled = worker.apply(write_floor, (sheets, folder / "floor.xlsx"))
        done.append((export, took))
    return ExportMeasure(
        Run(
            statistics.median(r.seconds for r, _f in done),
            max(r.peak_mb for r, _f in done),
        ),
        statistics.median(f for _r, f in done),
        cells,
        filled,
        done,
    )
