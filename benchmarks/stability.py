"""Time the stability analysis at national scale beside its numpy floor.

50,000 dossiers over 30 directions, each scored by 5 of its direction's panel of 6
experts (random totals), cap 2 per direction, target 10, 1,000 seeded resamples.
The floor, measured in the same run, is the resampling and the per-resample means
alone (the same draws and the same sparse sums, no allocation).

    .venv/bin/python benchmarks/stability.py [--dossiers 50000] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from scoring_models.allocation import AllocationRules
from scoring_models.stability import stability

TARGET_SECONDS = 8.0


def project(dossiers: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expert totals and candidates of a national-shaped project."""
    rng = np.random.default_rng(seed)
    direction = rng.integers(0, 30, dossiers)
    quality = rng.uniform(55, 90, dossiers)
    panel = np.argsort(rng.random((dossiers, 6)), axis=1)[:, :5]  # 5 of the panel's 6
    totals = pd.DataFrame(
        {
            "dossier_id": np.repeat(np.arange(dossiers), 5),
            "expert_id": (np.repeat(direction, 5) * 6 + panel.ravel()),
            "total": np.round(np.repeat(quality, 5) + rng.normal(0, 4, dossiers * 5), 2),
        }
    )
    candidates = pd.DataFrame(
        {
            "dossier_id": np.arange(dossiers),
            "applicant_id": np.arange(dossiers),
            "direction_id": direction,
            "city": "太原市",
            "requested_level": "provincial",
            "eligible": True,
            "score": 0.0,
        }
    )
    return totals, candidates


def floor(totals: pd.DataFrame, resamples: int, seed: int) -> float:
    """The resampling and per-resample means alone (numpy, same draws), in seconds."""
    start = time.perf_counter()
    experts = int(totals["expert_id"].max()) + 1
    ordered = totals.sort_values(["dossier_id", "expert_id"])
    rows = ordered["dossier_id"].to_numpy()
    expert = ordered["expert_id"].to_numpy()
    value = ordered["total"].to_numpy()
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rng = np.random.default_rng(seed)
    draws = np.empty((experts, resamples))
    for r in range(resamples):
        draws[:, r] = np.bincount(rng.integers(0, experts, experts), minlength=experts)
    block = max(1, 4_000_000 // len(value))
    for begin in range(0, resamples, block):
        drawn = draws[:, begin : begin + block][expert]
        sums = np.add.reduceat(drawn * value[:, None], starts, axis=0)
        counts = np.add.reduceat(drawn, starts, axis=0)
        np.where(counts > 0, sums / np.where(counts > 0, counts, 1), -np.inf)
    return time.perf_counter() - start


def main() -> None:
    """Build the project, time the analysis and its floor, print medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    totals, candidates = project(args.dossiers)
    rules = AllocationRules(provincial_target=10, direction_cap=2)
    runs, floors = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = stability(totals, candidates, rules, resamples=args.resamples, seed=1)
        runs.append(time.perf_counter() - start)
        floors.append(floor(totals, args.resamples, seed=1))
    took, base = statistics.median(runs), statistics.median(floors)
    verdict = "met" if took <= TARGET_SECONDS else "NOT met"
    print(
        f"stability, {args.resamples:,} resamples, {args.dossiers:,} dossiers: "
        f"{took:.2f} s median of {args.runs} (target <= {TARGET_SECONDS:.0f} s: {verdict}); "
        f"floor (resampling + means) {base:.2f} s; ratio {took / base:.1f}x; "
        f"runs {', '.join(f'{t:.2f}' for t in runs)}; "
        f"selected per draw {result.probabilities['p_provincial'].sum():.2f}"
    )


if __name__ == "__main__":
    main()
