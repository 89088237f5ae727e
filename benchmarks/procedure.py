"""After the list at national scale, measured as users run it (issue 17): a recognition
round made from the finalised list, and a base's whole history.

Builds (or reuses, ``--keep FILE``) the national-shaped project of
``benchmarks/bundle.py`` (default 50,000 dossiers x 5 experts x 30 criteria, finalised as
computed) and prints, each a median of ``--runs`` runs beside its floor measured in the
same run, the ratio and the peak RSS:

- ``review-desk recognition create NATIONAL --out R.rdp --round-name N`` (defaults, whole
  process; every selected base, its applicant and partners, the expert pool copied into
  a new project, the link recorded both ways, both audited); floor: the same rows read
  with raw SQL (sqlite3) from the national file and inserted into a new SQLite file with
  plain ``executemany``                                              target <= 10 x
- ``review-desk history NATIONAL --dossier CODE --json`` (defaults, whole process);
  floor: the dossier's sheets and scores read with raw SQL, and every version of the
  finalised list parsed with ``json.loads`` to find its place          target <= 10 x

plus the import floor (Python and the modules the commands import), which dominates
``history``: the floors are what no implementation can avoid.

    .venv/bin/python benchmarks/procedure.py [--dossiers 50000] [--runs 3] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bundle import _in_worker, _peak_mb, build_finalised, cli  # noqa: E402
from measuring import Run, against_floor, median_process, median_run, run_process  # noqa: E402

RATIO = 10.0
SELECTED = ("provincial", "municipal")


def selected_codes(path: Path) -> list[str]:
    """The codes of the selected bases on the latest list version."""
    db = sqlite3.connect(path)
    try:
        (rows,) = db.execute("SELECT rows FROM final_list ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        db.close()
    return [r["code"] for r in json.loads(rows) if r["adjusted_tier"] in SELECTED]


def create_floor(path: Path, out: Path) -> tuple[float, int, float]:
    """Seconds to read the selected bases (dossier, applicant, partners) and the expert
    pool with raw SQL and insert them into a new SQLite file; the bases; peak MB."""
    start = time.perf_counter()
    source = sqlite3.connect(path)
    target = sqlite3.connect(out)
    try:
        (rows,) = source.execute("SELECT rows FROM final_list ORDER BY id DESC LIMIT 1").fetchone()
        chosen = {r["dossier_id"] for r in json.loads(rows) if r["adjusted_tier"] in SELECTED}
        for table in ("dossier", "applicant", "dossier_partner", "expert"):
            columns = [c[1] for c in source.execute(f"PRAGMA table_info({table})")]
            target.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            marks = ", ".join("?" for _ in columns)
            select = f"SELECT {', '.join(columns)} FROM {table}"
            cursor = source.execute(select)
            while batch := cursor.fetchmany(50_000):
                if table in ("dossier", "dossier_partner"):
                    key = columns.index("id" if table == "dossier" else "dossier_id")
                    batch = [row for row in batch if row[key] in chosen]
                target.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
        target.commit()
    finally:
        source.close()
        target.close()
    return time.perf_counter() - start, len(chosen), _peak_mb()


def history_floor(path: Path, code: str) -> tuple[float, int, float]:
    """Seconds to read a dossier's sheets and scores with raw SQL and find it in every
    version of the list (``json.loads``); the scores read; peak MB."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    try:
        (dossier,) = db.execute("SELECT id FROM dossier WHERE code = ?", (code,)).fetchone()
        scores = db.execute(
            "SELECT sh.expert_id, sc.criterion_id, sc.points FROM score sc "
            "JOIN score_sheet sh ON sh.id = sc.sheet_id WHERE sh.dossier_id = ?",
            (dossier,),
        ).fetchall()
        places = [
            next((r for r in json.loads(rows) if r["dossier_id"] == dossier), None)
            for (rows,) in db.execute("SELECT rows FROM final_list ORDER BY id")
        ]
        assert all(place is not None for place in places)
    finally:
        db.close()
    return time.perf_counter() - start, len(scores), _peak_mb()


def measure(path: Path, runs: int, folder: Path) -> None:
    """``recognition create`` and ``history`` as the user runs them, each beside its
    floor."""
    codes = selected_codes(path)
    code = codes[len(codes) // 2]
    creates: list[Run] = []
    create_floors: list[Run] = []
    histories: list[Run] = []
    history_floors: list[Run] = []
    bases = scores = 0
    for number in range(runs):
        round_file = folder / f"认定验收{number}.rdp"
        argv = ["recognition", "create", str(path), "--out", str(round_file)]
        creates.append(run_process(cli(*argv, "--round-name", f"认定验收{number}")))
        floor_file = folder / f"floor{number}.sqlite"
        took, bases, peak = _in_worker(create_floor, path, floor_file)
        create_floors.append(Run(took, peak))
        histories.append(run_process(cli("history", str(path), "--dossier", code, "--json")))
        took, scores, peak = _in_worker(history_floor, path, code)
        history_floors.append(Run(took, peak))
    imports = median_process(
        [sys.executable, "-c", "import review_desk.cli, review_desk.dossier_history"], runs
    )
    print(
        f"import floor (python -c 'import review_desk.cli, review_desk.dossier_history'): "
        f"{imports.seconds:.2f} s, {imports.peak_mb:.0f} MB"
    )
    print(f"{bases:,} selected bases; history of {code} ({scores} scores, {runs} rounds linked)")
    rows: list[tuple[str, list[Run], list[Run], Any]] = [
        (
            "review-desk recognition create",
            creates,
            create_floors,
            f"raw SQL copy of {bases:,} bases, their applicants and partners, and the pool",
        ),
        (
            "review-desk history --json",
            histories,
            history_floors,
            "raw SQL read of the dossier's scores, json.loads of every list version",
        ),
    ]
    for label, done, floors, what in rows:
        # The history's floor is milliseconds: its process's start is the true floor.
        base = max(median_run(floors).seconds, imports.seconds) if "history" in label else None
        print(against_floor(label, done, floors, what, RATIO, base))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = args.keep or folder / "national.rdp"
        print(_in_worker(build_finalised, path, args.dossiers))
        measure(path, args.runs, folder)
    print(f"peak memory of this process: {_peak_mb():.0f} MB (the commands' peaks are above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
