"""Results export speed and memory (issues 7 and 13).

With ``--project PATH`` (a national round), as a user runs it:

- ``review-desk export PROJECT --out OUT.xlsx`` with its defaults (the ranking with
  1,000 bootstrap resamples first), the whole process in a child: its wall time and
  its peak RSS (``os.wait4``), median and largest over ``--runs``; beside the floor
  measured in the same run: plain openpyxl write-only appends of the same cells (the
  exported workbook's values, read back once with openpyxl ``read_only=True`` outside
  the timing; no styles, no widths), median over ``--runs``; the runs alternate
                                              target <= 1.5 x the floor, <= 500 MB peak

Always (small, a few seconds):

- the demo project's whole results workbook (11 sheets), with the ranking computed
  first as the export does (1,000 bootstrap resamples) and from a computed ranking
                                                                    target <= 1 s
- a 50,000-row 分方向排名 sheet written by ``write_table`` (styles, widths measured by
  display width, number formats, tier fills, print setup) against the floor: openpyxl
  write-only appends of the same rows with no formatting              target <= 1.5x
  (building the rows from the ranking table is reported apart)

A national project: ``benchmarks/consolidate.py --keep /tmp/nat/national.rdp`` builds
one (50,000 dossiers x 5 experts x 30 criteria, 7.5 million scores; a few minutes) and
keeps it; copy it before measuring, since opening it with a newer Review Desk may
migrate it.

    python benchmarks/export.py [--project national.rdp] [--runs 3] [--rows 50000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measuring import export_beside_floor  # noqa: E402

from review_desk.demo import build_demo  # noqa: E402
from review_desk.project import Project  # noqa: E402
from review_desk.results import workbook_sheets as sheets  # noqa: E402
from review_desk.results.source import results_ranking  # noqa: E402
from review_desk.results.workbook import export_workbook  # noqa: E402
from review_desk.results.xlsx_tables import excel_value, write_table  # noqa: E402

CITIES = ["太原市", "大同市", "朔州市", "忻州市", "吕梁市", "晋中市", "阳泉市", "长治市"]
DIRECTIONS = ["智能建造", "大数据", "工业互联网", "人工智能", "新能源", "绿色煤炭", "现代农业"]
TIERS = ["provincial", "municipal", "not_recommended", "ineligible"]
EXPORT_RATIO = 1.5
EXPORT_MB = 500.0


def timed(work: Callable[[], Any], runs: int) -> float:
    """Median wall time of ``runs`` calls."""
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_national(project: Path, runs: int, folder: Path) -> None:
    """``review-desk export`` with its defaults, whole process, beside plain write-only
    appends of the same cells, the runs alternating (export, floor, export, ...)."""
    out = folder / "export.xlsx"
    argv = [sys.executable, "-m", "review_desk", "export", str(project), "--out", str(out)]
    measured = export_beside_floor(argv, out, runs, folder)
    for run, (export, floor) in enumerate(measured.runs, start=1):
        print(
            f"  run {run}: export {export.seconds:.1f} s, {export.peak_mb:.0f} MB; "
            f"floor {floor:.1f} s"
        )
    seconds, peak, floor = measured.export.seconds, measured.export.peak_mb, measured.floor
    ratio = seconds / floor
    met = ratio <= EXPORT_RATIO and peak <= EXPORT_MB
    print(
        f"review-desk export (defaults, whole process, median of {runs}): {seconds:.1f} s, "
        f"{peak:.0f} MB peak; floor (openpyxl write-only appends of the same "
        f"{measured.cells:,} cells, median of {runs}) {floor:.1f} s; ratio {ratio:.2f}x "
        f"(target <= {EXPORT_RATIO}x and <= {EXPORT_MB:.0f} MB: "
        f"{'met' if met else 'NOT met'})"
    )


def ranking_table(count: int) -> pd.DataFrame:
    """A ranking table shaped like ``RankResult.table`` with ``count`` dossiers."""
    rng = random.Random(7)
    direction_ids = [rng.randrange(1, len(DIRECTIONS) + 1) for _ in range(count)]
    scores = np.round(np.array([rng.uniform(40, 98) for _ in range(count)]), 4)
    tiers = [rng.choice(TIERS) for _ in range(count)]
    return pd.DataFrame(
        {
            "dossier_id": np.arange(1, count + 1),
            "code": [f"SX-{d:02d}-{i:05d}" for i, d in enumerate(direction_ids, start=1)],
            "applicant": [f"山西省第{i % 997}职业技术学院" for i in range(count)],
            "direction_id": direction_ids,
            "direction": [DIRECTIONS[d - 1] for d in direction_ids],
            "city": [rng.choice(CITIES) for _ in range(count)],
            "requested_level": [rng.choice(["provincial", "municipal"]) for _ in range(count)],
            "score": scores,
            "rank": pd.Series(scores).rank(ascending=False, method="first").astype(int),
            "tier": tiers,
            "adjusted_tier": tiers,
            "reason": [f"综合排名第{i}，得分{s:.2f}" for i, s in enumerate(scores, start=1)],
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, help="a national project to export")
    args = parser.parse_args()
    from openpyxl import Workbook

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if args.project is not None:
            measure_national(args.project, args.runs, work)
        build_demo(work / "demo.rdp").close()
        with Project(work / "demo.rdp") as project:
            whole = timed(lambda: export_workbook(project, work / "demo.xlsx"), args.runs)
            result = results_ranking(project)
            written = timed(
                lambda: export_workbook(project, work / "demo.xlsx", result=result), args.runs
            )
        print(f"demo workbook, ranking computed too : {whole:.3f} s (target <= 1 s)")
        print(f"demo workbook, from a ranking       : {written:.3f} s")

        table = ranking_table(args.rows)
        build = timed(lambda: list(sheets.direction_ranking(table).rows), args.runs)
        sheet = sheets.direction_ranking(table)
        built = list(sheet.rows)
        rows = [[excel_value(v) for v in row] for row in built]

        def formatted() -> None:
            book = Workbook(write_only=True)
            # As the export streams it: a generator, spooled for the width pass.
            streamed = (row for row in built)
            write_table(book, sheet.title, sheet.columns, streamed, print_title=sheet.title)
            book.save(work / "formatted.xlsx")

        def floor() -> None:
            book = Workbook(write_only=True)
            plain = book.create_sheet(sheet.title)
            plain.append([c.header for c in sheet.columns])
            for row in rows:
                plain.append(row)
            book.save(work / "plain.xlsx")

        ours = timed(formatted, args.runs)
        base = timed(floor, args.runs)
        print(f"{args.rows:,}-row ranking sheet, write_table : {ours:.3f} s")
        print(f"{args.rows:,}-row ranking sheet, plain appends: {base:.3f} s (the floor)")
        print(f"ratio                                  : {ours / base:.2f}x (target <= 1.5x)")
        print(f"building the rows from the table       : {build:.3f} s")
        size = (work / "formatted.xlsx").stat().st_size / 1e6
        print(f"file size                              : {size:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
