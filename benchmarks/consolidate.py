"""Consolidation at national scale (issue 6): 50,000 dossiers x 5 experts x 30 criteria
(7.5 million scores) stored in a project database.

Prints, as medians over ``--runs``:
- consolidation plus allocation read from the database (``ranking.compute``, no
  bootstrap)                                                         target <= 3 s
- consolidation plus allocation from in-memory arrays                 target <= 0.3 s
- stability, 1,000 seeded resamples on 300 dossiers                   target <= 2 s
- the floor: a plain SQL GROUP BY sum per dossier and expert through sqlite3
and the peak memory of the process.

    python benchmarks/consolidate.py [--dossiers 50000] [--experts-per 5] [--runs 3]
                                     [--keep FILE]
"""

from __future__ import annotations

import argparse
import copy
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from review_desk import ranking
from review_desk.project import Project
from review_desk.rubrics import active_rubric, default_rubric_text, use_rubric
from scoring_models.aggregation import ConsolidationConfig, consolidate
from scoring_models.allocation import AllocationRules, allocate
from scoring_models.rubric_toml import dump_rubric
from scoring_models.stability import stability

EXPERT_POOL = 600
CRITERIA = 30


def timed(work: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls, and the last result."""
    times, result = [], None
    for _run in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def thirty_criteria_rubric() -> str:
    """The default rubric with each of its 15 criteria split in two: 30 criteria."""
    source = tomllib.loads(default_rubric_text())
    source["rubric"]["id"] += "-benchmark"
    source["rubric"]["name"] += "（基准测试：30项）"
    for group in source["group"]:
        group["criterion"] = [
            {**copy.deepcopy(c), "id": c["id"] + suffix, "name": c["name"] + suffix}
            for c in group["criterion"]
            for suffix in ("a", "b")
        ]
    return dump_rubric(source)


def populate(path: Path, dossiers: int, per: int) -> int:
    """Create the project and bulk-load applicants, dossiers, experts, sheets, scores."""
    project = Project.create(path, name="基准测试", round_name="全国规模", actor="benchmark")
    rubric = use_rubric(project, thirty_criteria_rubric(), actor="benchmark")
    project.close()
    criteria = [(c.id, c.max) for c in rubric.criteria][:CRITERIA]
    rng = random.Random(20221128)
    now = datetime(2022, 1, 20, 9, 0).isoformat(sep=" ")
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    directions = [row[0] for row in db.execute("SELECT id FROM direction ORDER BY id")]
    db.executemany(
        "INSERT INTO applicant (id, name, kind, city, in_shanxi, major_tech_transfer, "
        "major_categories, contact_name, contact_phone) VALUES (?, ?, ?, ?, 1, 0, '[]', '', '')",
        (
            (i, f"申报单位{i:05d}", "vocational_college" if i % 3 else "enterprise", "太原市")
            for i in range(1, dossiers + 1)
        ),
    )
    db.executemany(
        "INSERT INTO dossier (id, code, platform_name, lead_applicant_id, direction_id, "
        "requested_level, has_policy_list, status) VALUES (?, ?, ?, ?, ?, ?, 1, 'received')",
        (
            (
                i,
                f"BM-{i:06d}",
                f"平台{i}",
                i,
                directions[i % len(directions)],
                "provincial" if i % 4 else "municipal",
            )
            for i in range(1, dossiers + 1)
        ),
    )
    db.executemany(
        "INSERT INTO expert (id, name, organisation, field, phone, email) "
        "VALUES (?, ?, '', '', '', '')",
        ((i, f"专家{i}") for i in range(1, EXPERT_POOL + 1)),
    )

    def sheets() -> Iterator[tuple[Any, ...]]:
        sheet = 0
        for dossier in range(1, dossiers + 1):
            for expert in rng.sample(range(1, EXPERT_POOL + 1), per):
                sheet += 1
                yield (sheet, expert, dossier, rubric.content_hash, now, now)

    sheet_rows = list(sheets())
    db.executemany(
        "INSERT INTO score_sheet (id, expert_id, dossier_id, rubric_hash, status, opinion, "
        "updated_at, submitted_at) VALUES (?, ?, ?, ?, 'submitted', '', ?, ?)",
        sheet_rows,
    )

    # Each dossier has a quality, each expert a severity, each score some noise.
    quality = [rng.uniform(0.4, 0.95) for _d in range(dossiers + 1)]
    severity = [rng.gauss(0, 0.03) for _e in range(EXPERT_POOL + 1)]

    def scores() -> Iterator[tuple[Any, ...]]:
        for sheet, expert, dossier, *_rest in sheet_rows:
            level = quality[dossier] + severity[expert]
            for criterion, top in criteria:
                share = min(1.0, max(0.0, level + rng.gauss(0, 0.05)))
                yield (sheet, criterion, round(top * share * 2) / 2)

    db.executemany(
        "INSERT INTO score (sheet_id, criterion_id, points, comment) VALUES (?, ?, ?, '')",
        scores(),
    )
    db.commit()
    count = db.execute("SELECT COUNT(*) FROM score").fetchone()[0]
    db.execute("ANALYZE")
    db.close()
    return int(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--experts-per", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "national.rdp"
        if not path.exists():
            start = time.perf_counter()
            count = populate(path, args.dossiers, args.experts_per)
            print(f"built {path.name}: {count:,} scores in {time.perf_counter() - start:.1f} s")
        else:
            print(f"reusing {path}")

        with sqlite3.connect(path) as db:
            floor, rows = timed(
                lambda: db.execute(
                    "SELECT sh.dossier_id, sh.expert_id, SUM(sc.points) FROM score sc "
                    "JOIN score_sheet sh ON sc.sheet_id = sh.id GROUP BY sh.id"
                ).fetchall(),
                args.runs,
            )
        print(
            f"floor: sqlite3 GROUP BY sum per dossier and expert ({len(rows):,} rows): "
            f"{floor:.2f} s"
        )

        project = Project(path)
        from_db, result = timed(lambda: ranking.compute(project, resamples=0), args.runs)
        provincial = int((result.table["tier"] == "provincial").sum())
        print(
            f"consolidation + allocation from the database: {from_db:.2f} s median "
            f"(target <= 3 s); {len(result.table):,} dossiers, {provincial} provincial, "
            f"{len(result.experts):,} deviation flags"
        )

        totals, _rubrics = ranking.stage_totals(project)
        rubric = active_rubric(project)
        project.close()
        stage_max = pd.DataFrame(
            [
                (d, s.key, rubric.stage_max(s.key, "enterprise"))
                for d in range(1, args.dossiers + 1)
                for s in rubric.stages
            ],
            columns=["dossier_id", "stage", "max"],
        )
        config = ConsolidationConfig(
            weights={s.key: s.weight for s in rubric.stages}, rubric_hash=rubric.content_hash
        )
        candidates = result.table[
            ["dossier_id", "applicant_id", "direction_id", "city", "requested_level", "eligible"]
        ].copy()
        rules = AllocationRules()

        def in_memory() -> pd.DataFrame:
            scores = consolidate(totals, stage_max, config)["dossiers"][["dossier_id", "score"]]
            frame = candidates.merge(scores, on="dossier_id", how="left")
            frame["score"] = frame["score"].fillna(-1.0)
            return allocate(frame, rules)

        memory, _allocation = timed(in_memory, args.runs)
        print(f"consolidation + allocation in memory: {memory:.3f} s median (target <= 0.3 s)")

        sample = candidates.head(300).assign(score=0.0)
        ids = set(sample["dossier_id"])
        expert_totals = result.experts if len(result.experts) else None
        per_expert = consolidate(
            totals[totals["dossier_id"].isin(ids)],
            stage_max[stage_max["dossier_id"].isin(ids)],
            config,
        )["experts"]
        del expert_totals
        boot, steady = timed(
            lambda: stability(per_expert, sample, rules, resamples=1000, seed=1), args.runs
        )
        print(
            f"stability, 1,000 resamples on 300 dossiers: {boot:.2f} s median (target <= 2 s); "
            f"{int(steady.probabilities['fragile'].sum())} fragile"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
