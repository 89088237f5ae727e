"""How much the provincial list depends on any one expert: leave-one-expert-out reruns
and a seeded bootstrap over the experts, giving each candidate's probability of a
provincial selection. Selections below 80% are fragile.

For speed the reruns use each expert's overall total per dossier and the mean across
the experts drawn (the trimmed mean needs whole experts, which a bootstrap duplicates).
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
    weighted total); ``candidates``: as for ``allocate`` (score is recomputed)."""
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
