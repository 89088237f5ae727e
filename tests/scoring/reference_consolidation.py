"""The consolidation as it was written before it was vectorised (pandas group-bys on a
long table of stage totals): the reference that ``scoring_models.aggregation`` must
agree with (tests/scoring/test_consolidation_arrays.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scoring_models.aggregation import METHODS, ConsolidationConfig, ConsolidationError
from scoring_models.rubric import N_


def _aggregate_frame(totals: pd.DataFrame, method: str, trim_min: int) -> pd.DataFrame:
    grouped = totals.groupby(["dossier_id", "stage"])["points"]
    if method == "mean":
        result = grouped.mean()
    elif method == "median":
        result = grouped.median()
    elif method == "trimmed":
        summed, counts = grouped.sum(), grouped.count()
        high, low = grouped.max(), grouped.min()
        trimmed = (summed - high - low) / (counts - 2)
        result = summed / counts
        result = result.where(counts < trim_min, trimmed)
    else:
        raise ConsolidationError(("unknown method {method}"), method=method)
    counts = grouped.count()
    return pd.DataFrame({"points": result, "experts": counts}).reset_index()


def normalise(totals: pd.DataFrame, panels: dict[Any, Any], min_dossiers: int) -> pd.DataFrame:
    """z-score each expert's stage totals over their dossiers, mapped back to the scale of
    their panel (mean and spread of all the panel's totals in that stage)."""
    frame = totals.copy()
    frame["panel"] = frame["expert_id"].map(panels).fillna(-1)
    by_expert = frame.groupby(["expert_id", "stage"])["points"]
    counts, spread = by_expert.transform("count"), by_expert.transform("std", ddof=0)
    few = frame.loc[counts < min_dossiers, "expert_id"].unique()
    if len(few):
        raise ConsolidationError(
            N_(
                "normalisation needs at least {n} dossiers per expert; "
                "expert {experts} scored fewer"
            ),
            n=min_dossiers,
            experts=", ".join(map(str, sorted(few))),
        )
    flat = frame.loc[spread == 0, "expert_id"].unique()
    if len(flat):
        raise ConsolidationError(
            N_("normalisation is impossible: expert {experts} gave all dossiers the same total"),
            experts=", ".join(map(str, sorted(flat))),
        )
    z = (frame["points"] - by_expert.transform("mean")) / spread
    panel = frame.groupby(["panel", "stage"])["points"]
    frame["points"] = z * panel.transform("std", ddof=0) + panel.transform("mean")
    return frame.drop(columns="panel")


def deviation_flags(expert_totals: pd.DataFrame, percent: float, sd: float) -> pd.DataFrame:
    """Flag an expert's overall total more than ``percent`` % from the mean of the other
    experts on the same dossier, or more than ``sd`` sample standard deviations of the
    others' totals from it. The standard-deviation test needs at least three other
    experts: two totals that happen to agree would otherwise flag any third one."""
    frame = expert_totals[["dossier_id", "expert_id", "total"]].copy()
    grouped = frame.groupby("dossier_id")["total"]
    n = grouped.transform("count")
    s, s2 = (
        grouped.transform("sum"),
        (frame["total"] ** 2).groupby(frame["dossier_id"]).transform("sum"),
    )
    others = n - 1
    mean_others = (s - frame["total"]) / others.where(others > 0)
    var_population = ((s2 - frame["total"] ** 2) / others.where(others > 0)) - mean_others**2
    var_others = var_population * others / (others - 1).where(others > 1)
    sd_others = np.sqrt(var_others.clip(lower=0))
    gap = frame["total"] - mean_others
    relative = gap.abs() / mean_others.abs().where(mean_others.abs() > 0)
    by_percent = relative > percent / 100
    by_sd = (others >= 3) & (sd_others > 0) & (gap.abs() > sd * sd_others)
    frame["mean_others"] = mean_others
    frame["gap_percent"] = 100 * gap / mean_others.where(mean_others.abs() > 0)
    frame["flagged"] = (by_percent | by_sd).fillna(False).astype(bool)
    frame["direction"] = np.where(gap > 0, "high", "low")
    return frame


def leniency(expert_totals: pd.DataFrame) -> pd.DataFrame:
    """Each expert's mean relative gap to the dossier means (positive: lenient)."""
    frame = expert_totals[["dossier_id", "expert_id", "total"]].copy()
    mean = frame.groupby("dossier_id")["total"].transform("mean")
    frame["gap"] = (frame["total"] - mean) / mean.where(mean != 0)
    result = frame.groupby("expert_id")["gap"].agg(["mean", "count"]).reset_index()
    return result.rename(columns={"mean": "leniency", "count": "dossiers"})


def _object_stage(frame: pd.DataFrame) -> pd.DataFrame:
    if frame["stage"].dtype == object:
        return frame
    return frame.astype({"stage": object})


def consolidate(
    stage_totals: pd.DataFrame,
    stage_max: pd.DataFrame,
    config: ConsolidationConfig,
    *,
    panels: dict[Any, Any] | None = None,
    bonus: pd.Series | None = None,
    veto_counts: pd.DataFrame | None = None,
    veto_thresholds: dict[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Consolidate; return ``dossiers`` (score per dossier with stage points, bonus,
    vetoes), ``experts`` (each expert's weighted total per dossier with deviation flags)
    and ``leniency``."""
    if config.method not in METHODS:
        raise ConsolidationError(("unknown method {method}"), method=config.method)
    # Stage names as plain Python objects: pandas groups and joins them faster than its
    # python-backed "str" dtype (measured: 0.27 s -> 0.20 s at 50,000 dossiers).
    totals = _object_stage(stage_totals)
    stage_max = _object_stage(stage_max)
    if config.normalise and len(totals):
        totals = normalise(totals, panels or {}, config.normalise_min_dossiers)
    weights = config.weights
    maxima = stage_max.set_index(["dossier_id", "stage"])["max"]
    # Each expert's weighted total (for deviation flags and leniency).
    expert = totals.join(maxima, on=["dossier_id", "stage"])
    expert["weighted"] = expert["stage"].map(weights).fillna(0) * expert["points"] / expert["max"]
    per_expert = expert.groupby(["dossier_id", "expert_id"])["weighted"].sum().reset_index()
    per_expert["total"] = per_expert["weighted"] * config.total
    flags = deviation_flags(per_expert, config.deviation_percent, config.deviation_sd)
    # Across experts per dossier and stage, then weighted.
    agg = _aggregate_frame(totals, config.method, config.trim_min_experts)
    agg = agg.join(maxima, on=["dossier_id", "stage"])
    agg["share"] = agg["points"] / agg["max"]
    wide = agg.pivot(index="dossier_id", columns="stage", values="share")
    present = wide.notna()
    stage_weights = pd.Series(weights).reindex(wide.columns).fillna(0)
    weight_present = present.mul(stage_weights, axis=1).sum(axis=1)
    score = wide.fillna(0).mul(stage_weights, axis=1).sum(axis=1) / weight_present.where(
        weight_present > 0
    )
    result = pd.DataFrame({"dossier_id": wide.index, "base": (score * config.total).to_numpy()})
    result["complete"] = (present.sum(axis=1) == len(weights)).to_numpy()
    points = agg.pivot(index="dossier_id", columns="stage", values="points")
    for stage in weights:
        result[f"points_{stage}"] = (
            points[stage].reindex(result["dossier_id"]).to_numpy() if stage in points else np.nan
        )
    experts_count = agg.groupby("dossier_id")["experts"].max()
    result["experts"] = experts_count.reindex(result["dossier_id"]).fillna(0).astype(int).to_numpy()
    result["bonus"] = (
        bonus.reindex(result["dossier_id"]).fillna(0).to_numpy() if bonus is not None else 0.0
    )
    result["score"] = (result["base"] + result["bonus"]).round(6)
    vetoed = pd.Series(False, index=result["dossier_id"])
    if veto_counts is not None and len(veto_counts):
        hit = veto_counts[
            veto_counts["count"] >= veto_counts["veto_id"].map(veto_thresholds or {}).fillna(np.inf)
        ]
        vetoed.loc[vetoed.index.isin(hit["dossier_id"])] = True
    result["vetoed"] = vetoed.to_numpy()
    result = result.sort_values("dossier_id").reset_index(drop=True)
    return {"dossiers": result, "experts": flags, "leniency": leniency(per_expert)}
