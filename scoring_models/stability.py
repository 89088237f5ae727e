"""How much the provincial list depends on any one expert: leave-one-expert-out reruns
and a seeded bootstrap over the experts, giving each candidate's probability of a
provincial selection. Selections below 80% are fragile.

For speed the reruns use each expert's overall total per dossier and the mean across
the experts drawn (the trimmed mean needs whole experts, which a bootstrap duplicates).

``stability`` computes every rerun's scores at once from the sparse (dossier, expert)
totals, a block of reruns at a time, and runs the allocation of each rerun only on the
candidates that can reach its cutoff: the highest-scoring contenders of that rerun,
cut at a score boundary, a prefix that is grown until the target is filled inside it
(the allocation is greedy in score order, so nobody below such a prefix can be
provincial). ``_stability_loop`` is the plain loop it must equal, kept for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring_models.allocation import PROVINCIAL, AllocationRules, tiers_only

FRAGILE_BELOW = 0.8


@dataclass(frozen=True)
class StabilityResult:
    """Per candidate: the bootstrap probability of a provincial place, and whether it
    stays provincial whichever single expert is left out."""

    probabilities: pd.DataFrame  # dossier_id, p_provincial, loo_provincial, fragile
    resamples: int
    seed: int


def _stability_loop(
    expert_totals: pd.DataFrame,
    candidates: pd.DataFrame,
    rules: AllocationRules,
    *,
    resamples: int = 1000,
    seed: int = 20220121,
    bonus: pd.Series | None = None,
) -> StabilityResult:
    """Run the analysis. ``expert_totals``: dossier_id, expert_id, total (each expert's
    weighted total); ``candidates``: as for ``allocate`` (score is recomputed).
    The plain reference loop: one full allocation per rerun."""
    matrix = expert_totals.pivot_table(index="dossier_id", columns="expert_id", values="total")
    ids = candidates["dossier_id"].tolist()
    matrix = matrix.reindex(ids)
    values = matrix.to_numpy(dtype=float)
    mask = np.isfinite(values)
    filled = np.where(mask, values, 0.0)
    extra = bonus.reindex(ids).fillna(0).to_numpy() if bonus is not None else np.zeros(len(ids))
    eligible = candidates["eligible"].astype(bool).tolist()
    directions = candidates["direction_id"].tolist()
    applicants = candidates["applicant_id"].tolist()
    levels = candidates["requested_level"].tolist()
    experts = values.shape[1]

    def selected(weights: np.ndarray) -> np.ndarray:
        count = mask @ weights
        scores = (
            np.where(count > 0, (filled @ weights) / np.where(count > 0, count, 1), -np.inf) + extra
        )
        tiers = tiers_only(
            np.round(scores, 9).tolist(), eligible, directions, applicants, levels, rules
        )
        return np.array([t == PROVINCIAL for t in tiers])

    rng = np.random.default_rng(seed)
    hits = np.zeros(len(ids))
    for _ in range(resamples):
        draw = np.bincount(rng.integers(0, experts, experts), minlength=experts).astype(float)
        hits += selected(draw)
    loo = np.ones(len(ids), dtype=bool)
    for left_out in range(experts):
        weights = np.ones(experts)
        weights[left_out] = 0.0
        loo &= selected(weights)
    probability = hits / resamples if resamples else np.zeros(len(ids))
    frame = pd.DataFrame({"dossier_id": ids, "p_provincial": probability, "loo_provincial": loo})
    frame["fragile"] = (frame["p_provincial"] > 0) & (frame["p_provincial"] < FRAGILE_BELOW)
    return StabilityResult(frame, resamples, seed)


# Cells (entries x reruns) handled at once: bounds the memory of a block of reruns.
_BLOCK_CELLS = 4_000_000
# The direction and applicant of the probe that asks whether places are left.
_PROBE = object()


def stability(
    expert_totals: pd.DataFrame,
    candidates: pd.DataFrame,
    rules: AllocationRules,
    *,
    resamples: int = 1000,
    seed: int = 20220121,
    bonus: pd.Series | None = None,
) -> StabilityResult:
    """Run the analysis. ``expert_totals``: dossier_id, expert_id, total (each expert's
    weighted total); ``candidates``: as for ``allocate`` (score is recomputed).
    Vectorised; its probabilities equal those of the plain loop for the same seed."""
    ids = candidates["dossier_id"].tolist()
    n = len(ids)
    # The same experts, in the same order, as the loop's pivot table.
    present = expert_totals[["dossier_id", "expert_id", "total"]].dropna(subset=["total"])
    cells = present.groupby(["dossier_id", "expert_id"], sort=True)["total"].mean()
    expert_ids = sorted(set(cells.index.get_level_values("expert_id")))
    experts = len(expert_ids)
    if experts == 0 or n == 0:
        return _stability_loop(
            expert_totals, candidates, rules, resamples=resamples, seed=seed, bonus=bonus
        )
    position = pd.Series(np.arange(n), index=pd.Index(ids))
    row_of = position.reindex(cells.index.get_level_values("dossier_id")).to_numpy()
    keep = ~np.isnan(row_of.astype(float))
    entry_row = row_of[keep].astype(np.int64)
    expert_col = pd.Series(np.arange(experts), index=pd.Index(expert_ids))
    entry_expert = expert_col.reindex(cells.index.get_level_values("expert_id")).to_numpy()[keep]
    entry_total = cells.to_numpy(dtype=float)[keep]
    order = np.argsort(entry_row, kind="stable")
    entry_row, entry_expert, entry_total = entry_row[order], entry_expert[order], entry_total[order]
    scored_rows, starts = np.unique(entry_row, return_index=True)

    extra = bonus.reindex(ids).fillna(0).to_numpy() if bonus is not None else np.zeros(n)
    eligible = candidates["eligible"].astype(bool).to_numpy()
    levels = candidates["requested_level"].to_numpy()
    # Only eligible candidates that asked for a provincial place can ever take one.
    contenders = np.flatnonzero(eligible & (levels == PROVINCIAL))
    directions = candidates["direction_id"].to_numpy(dtype=object)[contenders].tolist()
    applicants = candidates["applicant_id"].to_numpy(dtype=object)[contenders].tolist()
    contender_levels = levels[contenders].tolist()
    first_cut = min(len(contenders), max(4 * rules.provincial_target, 16))

    # The same draws as the loop, in the same order.
    rng = np.random.default_rng(seed)

    def draws(begin: int, end: int) -> np.ndarray:
        """The weights of reruns ``begin`` to ``end`` (draws, then leave-one-out), made
        a block at a time, in order, so that memory stays bounded by the block."""
        weights = np.ones((experts, end - begin))
        for column, run in enumerate(range(begin, end)):
            if run < resamples:
                weights[:, column] = np.bincount(
                    rng.integers(0, experts, experts), minlength=experts
                )
            else:
                weights[run - resamples, column] = 0.0  # leave-one-expert-out
        return weights

    def provincial(scores: np.ndarray) -> np.ndarray:
        """Indices into ``contenders`` of the provincial ones for one rerun's scores."""
        cut = first_cut
        while True:
            if cut >= len(scores):
                prefix, probe = np.arange(len(scores)), []
            else:
                threshold = np.partition(scores, len(scores) - cut)[len(scores) - cut]
                prefix = np.flatnonzero(scores >= threshold)
                rest = scores[scores < threshold]
                if not len(rest):  # the ties at the cut reach the bottom: all of them
                    cut = len(scores)
                    continue
                below = rest.max()
                # Could anyone below the prefix still take a place? Ask the allocation
                # itself: a probe just below the prefix, in a direction and for an
                # applicant of its own, is provincial exactly when places are left
                # (neither given nor held) once the prefix is decided.
                below_min = rules.min_score is not None and below < rules.min_score
                probe = [] if below_min else [float(below)]
            tiers = tiers_only(
                scores[prefix].tolist() + probe,
                [True] * (len(prefix) + len(probe)),
                [directions[i] for i in prefix] + [_PROBE] * len(probe),
                [applicants[i] for i in prefix] + [_PROBE] * len(probe),
                [contender_levels[i] for i in prefix] + [PROVINCIAL] * len(probe),
                rules,
            )
            chosen = prefix[[t == PROVINCIAL for t in tiers[: len(prefix)]]]
            if not probe or tiers[-1] != PROVINCIAL:
                return chosen
            cut *= 2

    hits = np.zeros(n)
    loo = np.ones(n, dtype=bool)
    total_runs = resamples + experts
    block = max(1, _BLOCK_CELLS // max(1, len(entry_total)))
    for begin in range(0, total_runs, block):
        weights = draws(begin, min(begin + block, total_runs))
        drawn = weights[entry_expert]
        sums = np.add.reduceat(drawn * entry_total[:, None], starts, axis=0)
        counts = np.add.reduceat(drawn, starts, axis=0)
        scores = np.full((n, weights.shape[1]), -np.inf)
        scores[scored_rows] = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), -np.inf)
        scores = np.round(scores + extra[:, None], 9)[contenders]
        for column in range(weights.shape[1]):
            chosen = contenders[provincial(scores[:, column])]
            if begin + column < resamples:
                hits[chosen] += 1
            else:
                selected = np.zeros(n, dtype=bool)
                selected[chosen] = True
                loo &= selected
    if not len(contenders):
        loo[:] = False
    probability = hits / resamples if resamples else np.zeros(n)
    frame = pd.DataFrame({"dossier_id": ids, "p_provincial": probability, "loo_provincial": loo})
    frame["fragile"] = (frame["p_provincial"] > 0) & (frame["p_provincial"] < FRAGILE_BELOW)
    return StabilityResult(frame, resamples, seed)


def what_if(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The candidates whose tier differs between two allocations."""
    merged = before[["dossier_id", "tier"]].merge(
        after[["dossier_id", "tier"]], on="dossier_id", suffixes=("_before", "_after")
    )
    return merged[merged["tier_before"] != merged["tier_after"]].reset_index(drop=True)


def describe(result: StabilityResult) -> dict[str, Any]:
    """A summary for reports."""
    frame = result.probabilities
    return {
        "resamples": result.resamples,
        "seed": result.seed,
        "fragile": int(frame["fragile"].sum()),
    }
