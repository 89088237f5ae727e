"""Autosave latency: the time from an edit in the scoring desk to its durable commit.

Each edit goes through the same path as the desk's (a SheetChange applied through the
score-sheet service: the write lock, validation, the score row, the audit entry, and a
commit that SQLite fsyncs with synchronous=FULL). Beside it, the floor measured in the
same run on the same file: one raw-SQL transaction that updates one score row and
appends one row to a scratch table, committed with the same fsync. Prints medians, the
95th percentile and the ratio. Target (issue 4): median <= 5 ms.

    python benchmarks/autosave.py [--edits 500]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from review_desk.demo import build_demo
from review_desk.sheet_changes import SCORE, SheetChange
from review_desk.storage import models as m


def _floor(path: Path, sheet_id: int, edits: int) -> list[float]:
    """Raw SQL: the least a durable one-value save can cost on this file system."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS bench_log (id INTEGER PRIMARY KEY, v TEXT)")
    times = []
    for i in range(edits):
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE score SET points = ? WHERE sheet_id = ? AND criterion_id = 'A1'",
            ((i % 10) * 0.5, sheet_id),
        )
        connection.execute("INSERT INTO bench_log (v) VALUES (?)", (f"edit {i}",))
        connection.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    connection.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.rdp"
        project = build_demo(path)
        with project.reading() as session:
            started = {(s.expert_id, s.dossier_id) for s in session.scalars(select(m.ScoreSheet))}
            assignment = next(
                a
                for a in session.scalars(select(m.Assignment))
                if (a.expert_id, a.dossier_id) not in started
            )
        expert, dossier = assignment.expert_id, assignment.dossier_id
        criteria = ["A1", "A2", "A3", "B1", "B2"]
        old: dict[str, float | None] = dict.fromkeys(criteria)
        times = []
        for i in range(args.edits):
            key = criteria[i % len(criteria)]
            new = float((i % 10) * 0.5)
            if new == old[key]:
                new += 0.5
            change = SheetChange(expert, dossier, SCORE, key, old[key], new)
            start = time.perf_counter()
            change.apply(project)
            times.append((time.perf_counter() - start) * 1000)
            old[key] = new
        with project.reading() as session:
            sheet_id = session.scalars(
                select(m.ScoreSheet.id).where(
                    m.ScoreSheet.expert_id == expert, m.ScoreSheet.dossier_id == dossier
                )
            ).one()
        project.close()
        floor = _floor(path, sheet_id, args.edits)
    times.sort()
    floor.sort()
    median, floor_median = statistics.median(times), statistics.median(floor)
    print(f"edits:            {len(times)}")
    print(f"desk save median: {median:.2f} ms   (p95 {times[int(len(times) * 0.95)]:.2f} ms)")
    print(f"raw SQL floor:    {floor_median:.2f} ms   (p95 {floor[int(len(floor) * 0.95)]:.2f} ms)")
    print(f"ratio:            {median / floor_median:.2f}x")
    print("target: median <= 5 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
