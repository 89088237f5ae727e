"""Autosave latency: the time from an edit in the scoring desk to its durable commit.

Each edit goes through the same path as the desk's (a SheetChange applied: validation,
the score row, the audit entry, and a commit that SQLite fsyncs with synchronous=FULL).
Prints the median and the 95th percentile. Target (issue 4): median <= 5 ms.

    python benchmarks/autosave.py [--edits 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from review_desk.demo import build_demo
from review_desk.sheet_changes import SCORE, SheetChange
from review_desk.storage import models as m


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = build_demo(Path(folder) / "demo.rdp")
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
        project.close()
    times.sort()
    print(f"edits:  {len(times)}")
    print(f"median: {statistics.median(times):.2f} ms")
    print(f"p95:    {times[int(len(times) * 0.95)]:.2f} ms")
    print(f"max:    {times[-1]:.2f} ms")
    print("target: median <= 5 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
