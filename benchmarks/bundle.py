"""The verification bundle at national scale, measured as users run it (issue 17).

Builds (or reuses, ``--keep FILE``) a national-shaped project with
``review_desk.demo.national`` (default 50,000 dossiers x 5 experts x 30 criteria),
finalised as computed (the committee's lock of the list ``rank`` gives; the
deviations' written explanations, which change no score, are not recorded), and prints,
each a median of ``--runs`` runs beside its floor measured in the same run (the runs
alternate: bundle, its floor, verify, its floor), the ratio and the peak RSS:

- ``review-desk bundle PROJECT --out 核验包.zip`` with its defaults, whole process;
  floor: the submitted sheets' scores read with raw SQL (sqlite3) and written as JSON,
  one object per sheet with its criterion scores, into a deflated zip with plain
  ``json`` + ``zipfile``                                           target <= 10 x
- ``review-desk verify 核验包.zip`` with its defaults, whole process; floor: that zip's
  JSON read back (``zipfile`` + ``json.loads``) and the sheets' weighted totals and
  each dossier's mean computed with numpy                           target <= 10 x

and the import floor (Python and the modules ``verify`` imports: at a few thousand
dossiers most of ``verify``'s time). The bundle writes every member, not the scores
alone, and verifies what it writes before writing it; ``verify`` runs the whole ranking:
consolidation, allocation, the committee's adjustments and the hash. The floors are
what no implementation can avoid: reading and writing the scores.

    .venv/bin/python benchmarks/bundle.py [--dossiers 50000] [--runs 3] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measuring import Run, against_floor, median_process, run_process  # noqa: E402

RATIO = 10.0
BATCH = 500_000  # rows fetched at once by the floor


def cli(*args: str) -> list[str]:
    """The ``review-desk`` command line (the headless entry point) with ``args``."""
    return [sys.executable, "-m", "review_desk", *args]


def _peak_mb() -> float:
    """This process's peak RSS in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------- the project


def build_finalised(path: Path, dossiers: int) -> str:
    """Build the national project at ``path`` (unless it exists) and finalise it as
    computed (unless it is); say what was done."""
    from review_desk.audit import utc_now
    from review_desk.demo.national import build_national
    from review_desk.project import Project
    from review_desk.publicity import latest_list
    from review_desk.ranking_decisions import decide_on, lock_list

    said = []
    if not path.exists():
        built = build_national(path, dossiers=dossiers)
        said.append(
            f"built {path.name}: {built.dossiers:,} dossiers, {built.scores:,} scores, "
            f"{built.panels} panels of {built.experts:,} experts in {built.seconds:.1f} s"
        )
    else:
        said.append(f"reusing {path}")
    with Project(path) as project:
        with project.reading() as session:
            final = latest_list(session)
        if final is None:
            start = time.perf_counter()
            content_hash = decide_on(
                project,
                {},
                lambda current, session: (
                    lock_list(session, current, current.table, "committee", utc_now).content_hash
                ),
            )
            said.append(
                f"finalised as computed in {time.perf_counter() - start:.1f} s: {content_hash}"
            )
        else:
            said.append(f"finalised already: {final.content_hash}")
    return "\n".join(said)


def rubric_factors(path: Path) -> tuple[list[str], list[float]]:
    """The active rubric's criteria and each one's factor in a weighted total (its
    stage's weight over the stage's maximum, times the total), for the verify floor."""
    from review_desk.project import Project
    from review_desk.rubrics import active_rubric

    with Project(path, read_only=True) as project:
        rubric = active_rubric(project)
    weight = {s.key: s.weight for s in rubric.stages}
    kind = "enterprise"
    factors = [
        weight[c.stage] / max(rubric.stage_max(c.stage, kind), 1e-9) * rubric.total
        for c in rubric.criteria
    ]
    return [c.id for c in rubric.criteria], factors


# ------------------------------------------------------------------------ the floors


def bundle_floor(path: Path, out: Path) -> tuple[float, int, float]:
    """Seconds to read the submitted sheets' scores with raw SQL and write them as JSON
    into a deflated zip (``json`` + ``zipfile``); the number of scores; peak MB."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    try:
        cursor = db.execute(
            "SELECT sh.id, sh.dossier_id, sh.expert_id, sc.criterion_id, sc.points "
            "FROM score sc JOIN score_sheet sh ON sh.id = sc.sheet_id "
            "WHERE sh.status = 'submitted' AND sc.points IS NOT NULL "
            "ORDER BY sc.sheet_id, sc.criterion_id"
        )
        sheets: list[dict[str, Any]] = []
        current: dict[str, Any] = {"sheet": None}
        count = 0
        while rows := cursor.fetchmany(BATCH):
            count += len(rows)
            for sheet, dossier, expert, criterion, points in rows:
                if sheet != current["sheet"]:
                    current = {"sheet": sheet, "dossier_id": dossier, "expert": expert}
                    current["scores"] = {}
                    sheets.append(current)
                current["scores"][criterion] = points
    finally:
        db.close()
    data = json.dumps({"sheets": sheets}, ensure_ascii=False).encode("utf-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scores.json", data)
    return time.perf_counter() - start, count, _peak_mb()


def verify_floor(
    bundle: Path, criteria: list[str], factors: list[float]
) -> tuple[float, int, float]:
    """Seconds to read the floor's zip back (``json.loads``) and compute each sheet's
    weighted total and each dossier's mean with numpy; the number of dossiers; peak
    MB."""
    start = time.perf_counter()
    with zipfile.ZipFile(bundle) as archive:
        sheets = json.loads(archive.read("scores.json"))["sheets"]
    column = {criterion: i for i, criterion in enumerate(criteria)}
    points = np.zeros((len(sheets), len(criteria)))
    for row, sheet in enumerate(sheets):
        for criterion, value in sheet["scores"].items():
            points[row, column[criterion]] = value
    totals = points @ np.asarray(factors)
    dossier = np.fromiter((s["dossier_id"] for s in sheets), np.int64, len(sheets))
    counts = np.bincount(dossier)
    scored = counts > 0
    means = np.bincount(dossier, weights=totals)[scored] / counts[scored]
    return time.perf_counter() - start, len(means), _peak_mb()


def _in_worker(work: Any, *args: Any) -> Any:
    """``work(*args)`` in a fresh process, so that its peak is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as worker:
        return worker.apply(work, args)


# ------------------------------------------------------------------------- measuring


def measure(path: Path, runs: int, folder: Path) -> None:
    """``bundle`` and ``verify`` as the user runs them, each beside its floor."""
    criteria, factors = rubric_factors(path)
    bundle = folder / "核验包.zip"
    floor_zip = folder / "floor.zip"
    bundles, verifies, bundle_floors, verify_floors = [], [], [], []
    scores = dossiers = 0
    for _run in range(runs):
        bundles.append(run_process(cli("bundle", str(path), "--out", str(bundle))))
        took, scores, peak = _in_worker(bundle_floor, path, floor_zip)
        bundle_floors.append(Run(took, peak))
        verifies.append(run_process(cli("verify", str(bundle))))
        took, dossiers, peak = _in_worker(verify_floor, floor_zip, criteria, factors)
        verify_floors.append(Run(took, peak))
    # What every command pays before its work: Python and the modules verify imports.
    imports = median_process(
        [sys.executable, "-c", "import review_desk.cli, review_desk.verification_check"], runs
    )
    print(
        f"import floor (python -c 'import review_desk.cli, review_desk.verification_check'): "
        f"{imports.seconds:.2f} s, {imports.peak_mb:.0f} MB"
    )
    with zipfile.ZipFile(bundle) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    print(
        f"bundle: {bundle.stat().st_size / 2**20:.1f} MB zip holding "
        f"{inflated / 2**20:.0f} MB of JSON; floor zip {floor_zip.stat().st_size / 2**20:.1f} "
        f"MB ({scores:,} scores)"
    )
    for label, done, floors, what in (
        (
            "review-desk bundle",
            bundles,
            bundle_floors,
            "raw SQL read of the scores, json + zipfile write",
        ),
        (
            "review-desk verify",
            verifies,
            verify_floors,
            f"json read of the floor's zip, numpy weighted totals of {dossiers:,} dossiers",
        ),
    ):
        print(against_floor(label, done, floors, what, RATIO))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = args.keep or folder / "national.rdp"
        # Built in a process of its own: a command started later from a parent that had
        # grown would report the parent's memory as part of its own peak.
        print(_in_worker(build_finalised, path, args.dossiers))
        measure(path, args.runs, folder)
    print(f"peak memory of this process: {_peak_mb():.0f} MB (the commands' peaks are above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
