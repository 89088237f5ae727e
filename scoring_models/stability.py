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
_BLOCK_CELLS = 1_000_000
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
        """The weights of bootstrap reruns ``begin`` to ``end``, made a block at a time,
        in order, so that memory stays bounded by the block."""
        weights = np.ones((experts, end - begin))
        for column in range(end - begin):
            weights[:, column] = np.bincount(rng.integers(0, experts, experts), minlength=experts)
        return weights

    def provincial(scores: np.ndarray) -> tuple[np.ndarray, float]:
        """Indices into ``contenders`` of the provincial ones for one rerun's scores, and
        the score from which on the outcome was decided (nobody strictly below it could
        take a place, whatever their scores; -inf when everyone was considered)."""
        cut = first_cut
        while True:
            threshold = -np.inf
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
                return chosen, float(threshold) if probe else -np.inf
            cut *= 2

    segment_count = len(starts)
    entry_segment = np.repeat(np.arange(segment_count), np.diff(np.append(starts, len(entry_row))))
    bins: dict[int, np.ndarray] = {}

    def rerun_scores(weights: np.ndarray) -> np.ndarray:
        """The contenders' scores of reruns with these expert weights (a column each),
        as ``contenders x reruns``. Every rerun's sums per dossier come from one
        ``bincount`` over (rerun, dossier) bins: a segment sum (``reduceat``) pays per
        dossier, and a dossier has only a handful of experts."""
        runs = weights.shape[1]
        if runs not in bins:
            bins[runs] = (np.arange(runs)[:, None] * segment_count + entry_segment).ravel()
        drawn = np.ascontiguousarray(weights.T)[:, entry_expert]
        size = runs * segment_count
        sums = np.bincount(bins[runs], (drawn * entry_total).ravel(), size).reshape(runs, -1)
        counts = np.bincount(bins[runs], drawn.ravel(), size).reshape(runs, -1)
        scores = np.full((runs, n), -np.inf)
        scores[:, scored_rows] = np.where(
            counts > 0, sums / np.where(counts > 0, counts, 1), -np.inf
        )
        return np.asarray(np.round(scores + extra, 9)[:, contenders].T)

    hits = np.zeros(n)
    block = max(1, _BLOCK_CELLS // max(1, len(entry_total)))
    for begin in range(0, resamples, block):
        weights = draws(begin, min(begin + block, resamples))
        scores = rerun_scores(weights)
        for column in range(weights.shape[1]):
            hits[contenders[provincial(scores[:, column])[0]]] += 1
    # Leave one expert out: only the dossiers that expert scored change, so each rerun
    # starts from the scores with every expert and recomputes just those; when none of
    # them is at or above the score from which the full list was decided, before or
    # after, the outcome is the full list's.
    everyone = rerun_scores(np.ones((experts, 1)))[:, 0]
    base, decided_from = provincial(everyone)
    contender_of = np.full(n, -1)
    contender_of[contenders] = np.arange(len(contenders))
    by_expert = np.argsort(entry_expert, kind="stable")
    expert_starts = np.searchsorted(entry_expert[by_expert], np.arange(experts + 1))
    loo = np.ones(n, dtype=bool)
    loo_selected = np.zeros(n, dtype=bool)
    for left_out in range(experts):
        mine = by_expert[expert_starts[left_out] : expert_starts[left_out + 1]]
        segments = np.unique(entry_segment[mine])
        rows = contender_of[scored_rows[segments]]
        segments, rows = segments[rows >= 0], rows[rows >= 0]
        chosen = base
        if len(rows):
            changed = _segment_scores(
                segments, starts, len(entry_row), entry_expert, entry_total, left_out
            )
            changed = np.round(changed + extra[contenders[rows]], 9)
            if max(everyone[rows].max(), changed.max()) >= decided_from:
                scores = everyone.copy()
                scores[rows] = changed
                chosen = provincial(scores)[0]
        loo_selected[:] = False
        loo_selected[contenders[chosen]] = True
        loo &= loo_selected
    if not len(contenders):
        loo[:] = False
    probability = hits / resamples if resamples else np.zeros(n)
    frame = pd.DataFrame({"dossier_id": ids, "p_provincial": probability, "loo_provincial": loo})
    frame["fragile"] = (frame["p_provincial"] > 0) & (frame["p_provincial"] < FRAGILE_BELOW)
    return StabilityResult(frame, resamples, seed)


def _segment_scores(
    segments: np.ndarray,
    starts: np.ndarray,
    entries: int,
    entry_expert: np.ndarray,
    entry_total: np.ndarray,
    left_out: int,
) -> np.ndarray:
    """The mean total of the given dossiers (segments of the entries) without one
    expert, summed in the order and the arithmetic of a full rerun, so that it is equal
    to what that rerun would give to the last bit."""
    ends = np.append(starts[1:], entries)[segments]
    lengths = ends - starts[segments]
    offsets = np.repeat(ends - lengths.cumsum(), lengths) + np.arange(lengths.sum())
    weights = (entry_expert[offsets] != left_out).astype(float)
    heads = np.append(0, lengths.cumsum()[:-1])
    # Two-dimensional, along the first axis, as a full rerun sums its block.
    sums = np.add.reduceat((weights * entry_total[offsets])[:, None], heads, axis=0)[:, 0]
    counts = np.add.reduceat(weights[:, None], heads, axis=0)[:, 0]
    return np.where(counts > 0, sums / np.where(counts > 0, counts, 1), -np.inf)


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
