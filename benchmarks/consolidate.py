"""The ranking at national scale, measured as users run it (issue 13).

Builds (or reuses, ``--keep FILE``) a national-shaped project with
``review_desk.demo.national`` (default 50,000 dossiers x 5 experts x 30 criteria,
panels of 5-7 per direction, applicability respected) and prints, each a median of
``--runs`` runs beside its floor measured in the same run, the ratio and the target:

- ``review-desk rank PROJECT`` with its defaults (1,000 resamples), whole process:
  wall time and the child's peak RSS; floor: the import of ``review_desk.ranking``
  (the import floor)                                          target <= 15 s, <= 600 MB
- ``review-desk rank PROJECT --json``, the same way           target <= 15 s, <= 600 MB
- ``review-desk export PROJECT --out OUT.xlsx`` with its defaults, whole process;
  floor: plain openpyxl write-only appends of the same cells
  (``--skip-export`` skips it: it takes minutes)          target <= 1.5 x, <= 500 MB
- ``ranking.compute(project, resamples=0)`` in this process; floor: an indexed sqlite3
  GROUP BY sum of the scores per score sheet                          target <= 1.5 x
- stability, 1,000 resamples over every dossier, called as ``compute`` calls it
                                                                        target <= 8 s
- consolidation + allocation from the criterion array (sheets x criteria); floor:
  numpy per-stage sums, trimmed mean per dossier and stage, argsort   target <= 3 x

and the deviation rate, the panels, the reliability entries computed and peak memory.

With ``--db ADMIN_URL`` (issue 15), the same project on a PostgreSQL server instead:
``ADMIN_URL`` reaches a server as a role that may create databases and roles (``server
create``'s), not a project, because the benchmark makes its own project there
(``server create --empty``, then ``project push`` of the file, timed) and drops it
after; ``--db cluster`` starts a throwaway cluster (``tests/pg_cluster.py``) instead.
It prints, each a median of ``--runs`` runs:

- ``ranking.compute(project, resamples=0)`` from the server, logged in as an agency
  account over loopback TCP (row-level security in force, as for the staff), beside
  the same from the project file and beside PostgreSQL's own ``GROUP BY`` sum of the
  scores per score sheet (raw SQL through psycopg as the administrator, that is
  without row-level security: the floor)                              target <= 3 s

and checks that both computations rank alike.

    .venv/bin/python benchmarks/consolidate.py [--dossiers 50000] [--runs 3]
                                               [--keep FILE] [--skip-export]
                                               [--db ADMIN_URL|cluster]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measuring import export_beside_floor, median_process, median_time, verdict  # noqa: E402

from review_desk import ranking  # noqa: E402
from review_desk.demo.national import build_national  # noqa: E402
from review_desk.project import Project  # noqa: E402
from review_desk.rubrics import active_rubric  # noqa: E402
from scoring_models.aggregation import ConsolidationConfig, consolidate_sheets, sheet_points  # noqa: E402
from scoring_models.allocation import AllocationRules, allocate  # noqa: E402
from scoring_models.rubric import Rubric  # noqa: E402
from scoring_models.stability import stability  # noqa: E402

RANK_SECONDS, RANK_MB = 15.0, 600.0
EXPORT_RATIO, EXPORT_MB = 1.5, 500.0
COMPUTE_RATIO = 1.5
STABILITY_SECONDS = 8.0
ARRAY_RATIO = 3.0
SERVER_SECONDS = 3.0
RESAMPLES = 1000  # the default of rank, export and compute
SEED = 20220121  # the default seed of ranking.compute
# What the allocation reads of a candidate (besides its score and code).
CANDIDATE_COLUMNS = [
    "dossier_id",
    "applicant_id",
    "direction_id",
    "city",
    "requested_level",
    "eligible",
    "unscored",
    "double_high_rank",
    "tech_transfer",
]


# --------------------------------------------------------------------------- measuring


def cli(*args: str) -> list[str]:
    """The ``review-desk`` command line (the headless entry point) with ``args``."""
    return [sys.executable, "-m", "review_desk", *args]


# ------------------------------------------------------------------ whole processes


def measure_rank(path: Path, runs: int) -> None:
    """``review-desk rank`` with its defaults, as text and as JSON, beside the import
    floor."""
    floor = median_process([sys.executable, "-c", "import review_desk.ranking"], runs)
    print(
        f"import floor (python -c 'import review_desk.ranking'): {floor.seconds:.2f} s, "
        f"{floor.peak_mb:.0f} MB"
    )
    for label, extra in (("rank", ()), ("rank --json", ("--json",))):
        took = median_process(cli("rank", str(path), *extra), runs)
        met = took.seconds <= RANK_SECONDS and took.peak_mb <= RANK_MB
        print(
            f"review-desk {label} (defaults, whole process): {took.seconds:.2f} s, "
            f"{took.peak_mb:.0f} MB peak; import floor {floor.seconds:.2f} s, "
            f"ratio {took.seconds / floor.seconds:.1f}x "
            f"(target <= {RANK_SECONDS:.0f} s and <= {RANK_MB:.0f} MB: {verdict(met)})"
        )


def measure_export(path: Path, runs: int, folder: Path) -> None:
    """``review-desk export`` with its defaults beside plain write-only appends."""
    out = folder / "export.xlsx"
    measured = export_beside_floor(cli("export", str(path), "--out", str(out)), out, runs, folder)
    took, floor = measured.export, measured.floor
    ratio = took.seconds / floor
    met = ratio <= EXPORT_RATIO and took.peak_mb <= EXPORT_MB
    print(
        f"review-desk export (defaults, whole process): {took.seconds:.1f} s, "
        f"{took.peak_mb:.0f} MB peak; floor (openpyxl write-only appends of the same "
        f"{measured.cells:,} cells, {measured.filled:,} of them not empty) {floor:.1f} s; "
        f"ratio {ratio:.2f}x (target <= {EXPORT_RATIO} x and <= {EXPORT_MB:.0f} MB: "
        f"{verdict(met)})"
    )


# -------------------------------------------------------------------------- in process


def measure_compute(path: Path, runs: int) -> ranking.RankResult:
    """``ranking.compute(resamples=0)`` beside the SQLite GROUP BY floor; return the
    last result."""
    with sqlite3.connect(path) as db:
        floor, rows = median_time(
            lambda: db.execute(
                "SELECT sh.dossier_id, sh.expert_id, SUM(sc.points) FROM score sc "
                "JOIN score_sheet sh ON sc.sheet_id = sh.id GROUP BY sh.id"
            ).fetchall(),
            runs,
        )
    project = Project(path, read_only=True)
    try:
        took, result = median_time(lambda: ranking.compute(project, resamples=0), runs)
    finally:
        project.close()
    ratio = took / floor
    print(
        f"ranking.compute(resamples=0) from the database: {took:.2f} s; floor (sqlite3 "
        f"GROUP BY sum per sheet, {len(rows):,} rows) {floor:.2f} s; ratio {ratio:.2f}x "
        f"(target <= {COMPUTE_RATIO} x: {verdict(ratio <= COMPUTE_RATIO)})"
    )
    return result


def stability_inputs(
    result: ranking.RankResult,
) -> tuple[pd.DataFrame, pd.DataFrame, AllocationRules, pd.Series]:
    """What ``compute`` passes to ``stability``, rebuilt from its result: the experts'
    totals, the candidates (unscored at -1), the rules and the bonus per dossier."""
    config = result.config
    totals = result.totals[["dossier_id", "expert_id", "total"]]
    columns = [*CANDIDATE_COLUMNS, "score"]
    candidates = result.table[columns].sort_values("dossier_id").reset_index(drop=True)
    candidates["score"] = candidates["score"].fillna(-1.0)
    rules = AllocationRules(
        provincial_target=config.provincial_target,
        direction_cap=config.direction_cap,
        direction_caps=dict(config.direction_caps),
        min_score=config.min_score,
        tie_breaks=list(config.tie_breaks),
    )
    bonus = result.table.set_index("dossier_id")["bonus"].astype(float)
    return totals, candidates, rules, bonus


def measure_stability(result: ranking.RankResult, runs: int) -> None:
    """Stability, 1,000 resamples over every dossier, as ``compute`` calls it."""
    totals, candidates, rules, bonus = stability_inputs(result)
    took, steady = median_time(
        lambda: stability(totals, candidates, rules, resamples=RESAMPLES, seed=SEED, bonus=bonus),
        runs,
    )
    fragile = int(steady.probabilities["fragile"].sum())
    print(
        f"stability, {RESAMPLES:,} resamples, {len(candidates):,} dossiers: {took:.2f} s "
        f"({fragile} fragile) (target <= {STABILITY_SECONDS:.0f} s: "
        f"{verdict(took <= STABILITY_SECONDS)})"
    )


# -------------------------------------------------------------------- criterion array


@dataclass
class CriterionArray:
    """Every submitted sheet's points per criterion, as arrays (one row per sheet)."""

    points: np.ndarray  # sheets x criteria, float, NaN: no score
    dossier: np.ndarray  # per sheet
    expert: np.ndarray  # per sheet
    kind: np.ndarray  # per sheet: the lead applicant's kind
    criteria: list[str]  # the columns, in the rubric's order

    @property
    def scores(self) -> int:
        """How many scores the array holds."""
        return int(np.count_nonzero(~np.isnan(self.points)))


def _chunks(cursor: sqlite3.Cursor, size: int = 500_000) -> Iterator[list[Any]]:
    while rows := cursor.fetchmany(size):
        yield rows


def load_criterion_array(path: Path, rubric: Rubric) -> CriterionArray:
    """Read the submitted sheets' scores into a :class:`CriterionArray` (sheets
    ordered by dossier, then expert)."""
    criteria = [c.id for c in rubric.criteria]
    column = {cid: i for i, cid in enumerate(criteria)}
    with sqlite3.connect(path) as db:
        sheets = db.execute(
            "SELECT sh.id, sh.dossier_id, sh.expert_id, a.kind FROM score_sheet sh "
            "JOIN dossier d ON d.id = sh.dossier_id "
            "JOIN applicant a ON a.id = d.lead_applicant_id "
            "WHERE sh.status = 'submitted' AND sh.rubric_hash = ? "
            "ORDER BY sh.dossier_id, sh.expert_id",
            (rubric.content_hash,),
        ).fetchall()
        row_of = {sheet[0]: i for i, sheet in enumerate(sheets)}
        points = np.full((len(sheets), len(criteria)), np.nan)
        cursor = db.execute(
            "SELECT sc.sheet_id, sc.criterion_id, sc.points FROM score sc "
            "JOIN score_sheet sh ON sh.id = sc.sheet_id "
            "WHERE sh.status = 'submitted' AND sh.rubric_hash = ? AND sc.points IS NOT NULL",
            (rubric.content_hash,),
        )
        for rows in _chunks(cursor):
            kept = [(row_of[s], column[c], p) for s, c, p in rows if c in column]
            if kept:
                r, c, p = (np.array(values) for values in zip(*kept, strict=True))
                points[r.astype(int), c.astype(int)] = p
    return CriterionArray(
        points=points,
        dossier=np.array([s[1] for s in sheets], dtype=np.int64),
        expert=np.array([s[2] for s in sheets], dtype=np.int64),
        kind=np.array([s[3] for s in sheets], dtype=object),
        criteria=criteria,
    )


def numpy_floor(array: CriterionArray, rubric: Rubric) -> np.ndarray:
    """The floor: per-stage sums of the applicable criteria per sheet, the trimmed mean
    (one highest and one lowest dropped from 5 experts) per dossier and stage, the
    weighted score, and the dossiers in score order (argsort)."""
    stages = [s.key for s in rubric.stages]
    kinds = sorted(set(array.kind))
    kind_index = np.searchsorted(np.array(kinds, dtype=object), array.kind)
    applies = np.array([[c.applies(k) for c in rubric.criteria] for k in kinds])
    maxima = np.array([[rubric.stage_max(s, k) for s in stages] for k in kinds])
    weights = np.array([s.weight for s in rubric.stages])
    counted = np.where(applies[kind_index], np.nan_to_num(array.points), 0.0)
    stage_of = np.array([stages.index(c.stage) for c in rubric.criteria])
    totals = np.stack([counted[:, stage_of == s].sum(axis=1) for s in range(len(stages))], 1)
    starts = np.flatnonzero(np.r_[True, array.dossier[1:] != array.dossier[:-1]])
    count = np.diff(np.r_[starts, len(array.dossier)])[:, None]
    summed = np.add.reduceat(totals, starts, axis=0)
    high = np.maximum.reduceat(totals, starts, axis=0)
    low = np.minimum.reduceat(totals, starts, axis=0)
    trimmed = np.where(count >= 5, (summed - high - low) / np.maximum(count - 2, 1), summed / count)
    score = (trimmed / maxima[kind_index[starts]] * weights).sum(axis=1) * rubric.total
    return array.dossier[starts][np.argsort(-score, kind="stable")]


def time_array_consolidation(
    array: CriterionArray, rubric: Rubric, result: ranking.RankResult, runs: int
) -> float | None:
    """Median seconds of consolidation + allocation from the criterion array as the
    application does them: the stage points of every sheet (applicable criteria only,
    ``sheet_points``), the consolidation (``consolidate_sheets``: trimmed means, weights,
    each expert's total and its deviation flags, leniency) and the allocation under the
    quotas with a reason for every dossier (``allocate``). The candidates' other columns
    (eligibility, levels, directions) are taken from the computed ranking, outside the
    timing."""
    stages = tuple(s.key for s in rubric.stages)
    kinds = sorted(set(array.kind))
    kind_index = np.searchsorted(np.array(kinds, dtype=object), array.kind)
    applies = np.array([[c.applies(k) for c in rubric.criteria] for k in kinds])
    maxima = np.array([[rubric.stage_max(s, k) for s in stages] for k in kinds])
    criterion_stage = np.array([stages.index(c.stage) for c in rubric.criteria])
    config = ConsolidationConfig(
        weights={s.key: s.weight for s in rubric.stages},
        total=rubric.total,
        rubric_hash=rubric.content_hash,
    )
    columns = [*CANDIDATE_COLUMNS, "code"]
    candidates = result.table[columns].copy()
    rules = AllocationRules(
        provincial_target=result.config.provincial_target,
        direction_cap=result.config.direction_cap,
        tie_breaks=list(result.config.tie_breaks),
    )

    def work() -> pd.DataFrame:
        sheets = sheet_points(
            array.points,
            criterion_stage,
            applies,
            kind_index,
            maxima,
            stages=stages,
            dossier_id=array.dossier,
            expert_id=array.expert,
        )
        scores = consolidate_sheets(sheets, config)["dossiers"][["dossier_id", "score"]]
        frame = candidates.merge(scores, on="dossier_id", how="left")
        frame["score"] = frame["score"].fillna(-1.0)
        return allocate(frame, rules)

    took, _allocation = median_time(work, runs)
    return took


def measure_array(path: Path, result: ranking.RankResult, runs: int) -> None:
    """Consolidation + allocation from the criterion array beside the numpy floor."""
    project = Project(path, read_only=True)
    try:
        rubric = active_rubric(project)
    finally:
        project.close()
    start = time.perf_counter()
    array = load_criterion_array(path, rubric)
    loading = time.perf_counter() - start
    floor, _order = median_time(lambda: numpy_floor(array, rubric), runs)
    took = time_array_consolidation(array, rubric, result, runs)
    head = (
        f"consolidation + allocation from the criterion array ({array.points.shape[0]:,} "
        f"sheets x {len(array.criteria)} criteria, {array.scores:,} scores, loaded in "
        f"{loading:.1f} s): "
    )
    if took is None:
        print(f"{head}not measured yet; numpy floor {floor:.3f} s (target <= {ARRAY_RATIO} x)")
        return
    ratio = took / floor
    print(
        f"{head}{took:.3f} s; numpy floor {floor:.3f} s; ratio {ratio:.1f}x "
        f"(target <= {ARRAY_RATIO} x: {verdict(ratio <= ARRAY_RATIO)})"
    )


# ------------------------------------------------------------------------ on a server


SERVER_KEY = f"natbench{os.getpid()}"
AGENCY_LOGIN, AGENCY_PASSWORD = f"natbench{os.getpid()}.agency", "agency-password-2026"


def _pg_floor(url: str, runs: int) -> tuple[float, int]:
    """PostgreSQL's own GROUP BY sum of the scores per score sheet (psycopg, raw SQL),
    in seconds, and how many rows it returns."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(conninfo)
    try:
        took, rows = median_time(
            lambda: connection.execute(
                "SELECT sh.dossier_id, sh.expert_id, SUM(sc.points) FROM score sc "
                "JOIN score_sheet sh ON sc.sheet_id = sh.id GROUP BY sh.id"
            ).fetchall(),
            runs,
        )
    finally:
        connection.close()
    return took, len(rows)


def measure_server(path: Path, admin_url: str, runs: int) -> None:
    """Push the project file onto the server (timed), then ``ranking.compute`` from
    there beside the file and PostgreSQL's GROUP BY; the project is dropped after."""
    from review_desk.server.accounts import Capacity, add_user
    from review_desk.server.create import create_server_project
    from review_desk.server.transfer import push
    from tests.seat_client import loopback_url

    made = create_server_project(admin_url, SERVER_KEY, name="全国规模", empty=True)
    try:
        start = time.perf_counter()
        report = push(path, made.url)
        pushed = time.perf_counter() - start
        print(
            f"project push (checked: audit chain, every table's rows): {pushed:.1f} s for "
            f"{sum(report.rows.values()):,} rows ({report.rows.get('score', 0):,} scores)"
        )
        add_user(made.url, AGENCY_LOGIN, Capacity("agency"), AGENCY_PASSWORD)
        url = loopback_url(made.url, AGENCY_LOGIN, AGENCY_PASSWORD)
        # The floor as the tables' owner: row-level security is not PostgreSQL's own
        # cost of the sums (the agency's policies would be checked on every score).
        floor, rows = _pg_floor(made.url, runs)
        with Project(url, read_only=True) as project:
            took, on_server = median_time(lambda: ranking.compute(project, resamples=0), runs)
        with Project(path, read_only=True) as project:
            local, in_file = median_time(lambda: ranking.compute(project, resamples=0), runs)
        same = on_server.table.equals(in_file.table)
        print(
            f"ranking.compute(resamples=0) from the server (an agency account over loopback): "
            f"{took:.2f} s; floor (PostgreSQL GROUP BY sum per sheet, {rows:,} rows) "
            f"{floor:.2f} s, ratio {took / floor:.2f}x; from the project file {local:.2f} s, "
            f"ratio {took / local:.2f}x; the same ranking: {same} "
            f"(target <= {SERVER_SECONDS:g} s: {verdict(took <= SERVER_SECONDS and same)})"
        )
    finally:
        _drop(admin_url)


def _drop(admin_url: str) -> None:
    """Remove the benchmark's project, its account and its groups from the server."""
    import sqlalchemy as sa

    from review_desk.server.create import GROUPS, group_role

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "rd_{SERVER_KEY}" WITH (FORCE)')
            for role in (AGENCY_LOGIN, *(group_role(SERVER_KEY, kind) for kind in GROUPS)):
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        engine.dispose()


def on_server(path: Path, db: str, runs: int) -> None:
    """:func:`measure_server` on ``db``, or on a throwaway cluster for ``cluster``."""
    if db != "cluster":
        measure_server(path, db, runs)
        return
    from tests.pg_cluster import Cluster

    folder = Path(tempfile.mkdtemp(prefix="rd-natbench-"))
    cluster = Cluster(folder).start()
    try:
        measure_server(path, cluster.url(), runs)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- the run


def describe(path: Path, result: ranking.RankResult) -> None:
    """The data's shape: deviation rate, panels, reliability entries, the list."""
    with sqlite3.connect(path) as db:
        panels = db.execute("SELECT COUNT(*) FROM panel").fetchone()[0]
        scores = db.execute("SELECT COUNT(*) FROM score").fetchone()[0]
    totals, flagged = len(result.totals), len(result.experts)
    computed = sum(1 for entry in result.reliability if entry.icc is not None)
    tiers = result.table["tier"].value_counts().to_dict()
    print(
        f"data: {len(result.table):,} dossiers, {scores:,} scores, {totals:,} expert totals, "
        f"{flagged:,} flagged as deviations ({100 * flagged / max(totals, 1):.1f} %), "
        f"{panels} panels, {computed} reliability entries computed "
        f"({len(result.reliability)} listed); tiers {tiers}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project here")
    parser.add_argument("--skip-export", action="store_true", help="do not time the export")
    parser.add_argument("--db", help="an admin URL of a PostgreSQL server, or: cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = args.keep or folder / "national.rdp"
        if path.exists():
            print(f"reusing {path}")
        else:
            # Built in a process of its own: a command started later from a parent that
            # had grown would report the parent's memory as part of its own peak.
            with multiprocessing.get_context("spawn").Pool(1) as worker:
                built = worker.apply(build_national, (path,), {"dossiers": args.dossiers})
            print(
                f"built {path.name}: {built.dossiers:,} dossiers, {built.scores:,} scores, "
                f"{built.panels} panels of {built.experts:,} experts in {built.seconds:.1f} s"
            )
        if args.db:
            on_server(path, args.db, args.runs)
            return 0
        measure_rank(path, args.runs)
        if args.skip_export:
            print("review-desk export: skipped (--skip-export)")
        else:
            measure_export(path, args.runs, folder)
        result = measure_compute(path, args.runs)
        describe(path, result)
        measure_stability(result, args.runs)
        measure_array(path, result, args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB (the commands' peaks are above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
