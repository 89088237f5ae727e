"""The expert assignment at provincial scale (issue 16), measured in a fresh process per
run: ``scoring_models.assignment.assign`` on 2,000 experts and 50,000 dossiers that need
5 experts each, restricted to fitting fields.

The instance: 30 directions; each expert works in 1 to 3 of them (the first its own, at
cost 0; the others at cost 1 and 2); each dossier belongs to one direction and its
candidates are that direction's experts (about 130); loads within [0, ceil(250,000 /
2,000) + ``--slack``]. ``--conflicts`` is the share of dossiers that lose one random
candidate (a conflict of interest): each such dossier has a candidate list of its own,
which the solver cannot share with the other dossiers of its direction.

Per run (the median of ``--runs`` is printed): the building of the problem
(``AssignmentProblem``: validation and the sort of the pairs), ``assign`` itself
(beside HiGHS alone on the families' relaxation), the peak RSS of the process, and
the floor measured in the same process: one numpy pass over the allowed pairs (the
candidates and the cost counted per dossier and per expert, as any assignment must read
them at least once), with the ratio of build + assign to it; the time to explain one
dossier (every candidate, over 1,000 dossiers); and ``assign_randomized`` with q = 0.5
(``--exact-only`` skips it: it solves the full grouped programme, which with ``--drop 3``
has a column per pair).
Every result is checked (k experts per dossier, loads in range).
Targets: build + assign <= 10 s, peak <= 1 GB.

    .venv/bin/python benchmarks/assign.py [--runs 3] [--conflicts 0.05] [--dossiers 50000]
                                          [--experts 2000] [--k 5] [--slack 10]
                                          [--drop 1] [--exact-only]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measuring import verdict  # noqa: E402

from scoring_models import assignment, assignment_families  # noqa: E402
from scoring_models.assignment import AssignmentProblem, assign  # noqa: E402
from scoring_models.randomized_assignment import assign_randomized  # noqa: E402

SECONDS, PEAK_MB = 10.0, 1024.0
DIRECTIONS = 30
Q = 0.5  # the randomized variant's cap, timed beside (no target)
EXPLAINED = 1_000  # dossiers whose every candidate is explained, for the time per dossier


@dataclass
class Measure:
    """One run, in seconds and MB."""

    pairs: int
    groups: int
    build: float
    assign: float
    solve: float
    floor: float
    peak_mb: float
    cost: float
    explain_ms: float
    randomized: float


def instance(args: argparse.Namespace, seed: int = 2026) -> dict[str, np.ndarray]:
    """The allowed pairs (expert, dossier, cost) of the benchmark's instance."""
    rng = np.random.default_rng(seed)
    members: list[list[tuple[int, int]]] = [[] for _ in range(DIRECTIONS)]
    for e in range(args.experts):
        for rank, d in enumerate(rng.choice(DIRECTIONS, rng.integers(1, 4), replace=False)):
            members[d].append((e, rank))
    direction = rng.integers(0, DIRECTIONS, args.dossiers)
    experts, dossiers, costs = [], [], []
    for d in range(DIRECTIONS):
        mine = np.nonzero(direction == d)[0]
        who = np.array([e for e, _r in members[d]], dtype=np.int64)
        rank = np.array([r for _e, r in members[d]], dtype=np.float64)
        experts.append(np.tile(who, len(mine)))
        dossiers.append(np.repeat(mine, len(who)))
        costs.append(np.tile(rank, len(mine)))
    expert, dossier, cost = map(np.concatenate, (experts, dossiers, costs))
    # A conflict: ``--drop`` candidates of a chosen dossier are dropped (one at random
    # each time, so two may coincide).
    hit = rng.random(args.dossiers) < args.conflicts
    order = np.argsort(dossier, kind="stable")
    expert, dossier, cost = expert[order], dossier[order], cost[order]
    start = np.searchsorted(dossier, np.arange(args.dossiers + 1))
    width = np.diff(start)
    hit &= width > args.k + args.drop
    keep = np.ones(len(expert), dtype=bool)
    for _time in range(args.drop):
        keep[start[:-1][hit] + rng.integers(0, width[hit])] = False
    # In no particular order, as a caller reading them from a database would pass them.
    shuffled = rng.permutation(np.nonzero(keep)[0])
    return {
        "expert": expert[shuffled],
        "dossier": dossier[shuffled],
        "cost": cost[shuffled],
        "direction": direction,
    }


def one_run(args: argparse.Namespace) -> Measure:
    """Build, floor and assign in this (fresh) process."""
    pairs = instance(args)
    started = time.perf_counter()
    per_dossier = np.bincount(pairs["dossier"], minlength=args.dossiers)
    per_expert = np.bincount(pairs["expert"], weights=pairs["cost"], minlength=args.experts)
    floor = time.perf_counter() - started
    assert per_dossier.min() >= args.k and per_expert.shape == (args.experts,)

    high = math.ceil(args.dossiers * args.k / args.experts) + args.slack
    started = time.perf_counter()
    problem = AssignmentProblem(
        tuple(range(args.experts)),
        np.zeros(args.experts, dtype=np.int64),
        np.full(args.experts, high, dtype=np.int64),
        tuple(range(args.dossiers)),
        np.full(args.dossiers, args.k, dtype=np.int64),
        pairs["expert"],
        pairs["dossier"],
        pairs["cost"],
        pairs["direction"],  # the families: a direction's dossiers cost alike
    )
    build = time.perf_counter() - started

    started = time.perf_counter()
    result = assign(problem)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    started = time.perf_counter()
    randomized = math.nan
    if not args.exact_only:
        drawn = assign_randomized(problem, Q, seed=1)
        randomized = time.perf_counter() - started
        assert (np.bincount(problem.pair_dossier[drawn.chosen]) == args.k).all()
        assert drawn.loads.max() <= high

    sampled = range(0, args.dossiers, max(1, args.dossiers // EXPLAINED))
    started = time.perf_counter()
    for dossier in sampled:
        result.explain(dossier)
    explain_ms = (time.perf_counter() - started) * 1000 / len(sampled)

    # The solver alone on the programme assign solved (the families' relaxation), without
    # the wrapper around it (reading the columns, dealing the counts out).
    groups = assignment._group(problem)
    relaxed = assignment_families.relaxation(problem)
    assert relaxed is not None
    started = time.perf_counter()
    assignment_families.solve(problem, relaxed)
    solve = time.perf_counter() - started

    chosen = result.chosen
    counts = np.bincount(problem.pair_dossier[chosen], minlength=args.dossiers)
    assert (counts == args.k).all(), "a dossier without its k experts"
    assert result.loads.min() >= 0 and result.loads.max() <= high, "a load out of range"
    return Measure(
        len(problem.pair_cost),
        len(groups.first),
        build,
        took,
        solve,
        floor,
        peak,
        result.cost,
        explain_ms,
        randomized,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--experts", type=int, default=2_000)
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--slack", type=int, default=10)
    parser.add_argument("--conflicts", type=float, default=0.05)
    parser.add_argument(
        "--drop", type=int, default=1, help="candidates a dossier with conflicts loses"
    )
    parser.add_argument(
        "--exact-only",
        action="store_true",
        help="skip assign_randomized (it solves the full programme: slow when most lists differ)",
    )
    args = parser.parse_args()

    runs = []
    for _run in range(args.runs):  # each in a fresh process: its own peak RSS
        with multiprocessing.get_context("spawn").Pool(1) as worker:
            runs.append(worker.apply(one_run, (args,)))
    first = runs[0]

    def median(name: str) -> float:
        return statistics.median(getattr(r, name) for r in runs)

    build, took, solve, floor = median("build"), median("assign"), median("solve"), median("floor")
    peak = max(r.peak_mb for r in runs)
    total = build + took
    print(
        f"instance: {args.experts:,} experts, {args.dossiers:,} dossiers x {args.k}, "
        f"{first.pairs:,} allowed pairs, {args.conflicts:.0%} of dossiers with a conflict, "
        f"{first.groups:,} distinct candidate lists; optimal cost {first.cost:,.0f}"
    )
    print(f"build the problem (validate, sort the pairs): {build:.2f} s")
    print(f"assign: {took:.2f} s; HiGHS alone on the families' relaxation: {solve:.2f} s")
    print(f"assign_randomized (q = {Q}): {median('randomized'):.2f} s")
    print(f"explain one dossier (all its candidates): {median('explain_ms'):.2f} ms")
    print(f"floor (one numpy pass over the pairs): {floor:.3f} s; ratio {total / floor:.0f} x")
    print(
        f"build + assign: {total:.2f} s median of {args.runs} "
        f"(target <= {SECONDS:g} s: {verdict(total <= SECONDS)}); "
        f"peak RSS {peak:.0f} MB (target <= {PEAK_MB:g} MB: {verdict(peak <= PEAK_MB)})"
    )
    print("PASS" if total <= SECONDS and peak <= PEAK_MB else "FAIL")


if __name__ == "__main__":
    main()
