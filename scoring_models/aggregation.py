"""Consolidating the experts' scores (汇总): per-expert stage totals, aggregation across
experts per dossier and stage (mean, median, or a trimmed mean dropping exactly one
highest and one lowest when at least N experts scored), optional per-expert
normalisation, stage weights, bonus with its cap, vetoes, and deviation flags
(畸高畸低) with each expert's leniency.

The input is one row per score sheet (:class:`SheetPoints`): its dossier, its expert,
its points in each stage and the stage maxima of its dossier, as numpy arrays.
:func:`consolidate` also takes the same data as one long table of stage totals (columns
``dossier_id``, ``expert_id``, ``stage``, ``points``) with the stage maxima per dossier.
Everything is vectorised over sorted groups (numpy ``reduceat``/``bincount``): national
rounds have hundreds of thousands of sheets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring_models.rubric import N_

METHODS = ("mean", "median", "trimmed")


class ConsolidationError(ValueError):
    """A configuration the data cannot support; the message template says why."""

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template.format(**values))
        self.template, self.values = template, values


@dataclass(frozen=True)
class ConsolidationConfig:
    """How scores are consolidated; recorded with every result."""

    method: str = "trimmed"
    trim_min_experts: int = 5
    normalise: bool = False
    normalise_min_dossiers: int = 3
    deviation_percent: float = 30.0
    deviation_sd: float = 2.0
    weights: dict[str, float] = field(default_factory=dict)
    total: float = 100.0
    rubric_hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the configuration as plain data."""
        return asdict(self)


def aggregate(values: pd.Series, method: str, trim_min: int) -> float:
    """Aggregate one dossier-stage's expert totals."""
    data = np.sort(values.to_numpy(dtype=float))
    if len(data) == 0:
        return float("nan")
    if method == "median":
        return float(np.median(data))
    if method == "trimmed" and len(data) >= trim_min:
        return float(data[1:-1].mean())  # exactly one highest and one lowest dropped
    return float(data.mean())


@dataclass(frozen=True)
class SheetPoints:
    """Score sheets as arrays, one row per sheet (one expert's scores of one dossier):
    ``points`` are the expert's points per stage (NaN: none in that stage), ``maxima``
    the stage maxima of the sheet's dossier, both ``sheets x len(stages)``."""

    stages: tuple[str, ...]
    dossier_id: np.ndarray
    expert_id: np.ndarray
    points: np.ndarray
    maxima: np.ndarray

    @classmethod
    def from_long(cls, stage_totals: pd.DataFrame, stage_max: pd.DataFrame) -> SheetPoints:
        """From a long table of stage totals and the stage maxima per dossier (columns
        ``dossier_id``, ``stage``, ``max``). An expert's rows for one dossier are one
        sheet."""
        stages = tuple(dict.fromkeys([*stage_max["stage"], *stage_totals["stage"]]))
        if stage_totals.empty:
            none = np.zeros(0, dtype=np.int64)
            return cls(stages, none, none, np.zeros((0, len(stages))), np.zeros((0, len(stages))))
        wide = stage_totals.pivot_table(
            index=["dossier_id", "expert_id"], columns="stage", values="points", aggfunc="sum"
        ).reindex(columns=list(stages))
        tops = (
            stage_max.pivot_table(index="dossier_id", columns="stage", values="max")
            .reindex(columns=list(stages))
            .reindex(wide.index.get_level_values(0))
        )
        return cls(
            stages,
            wide.index.get_level_values(0).to_numpy(dtype=np.int64),
            wide.index.get_level_values(1).to_numpy(dtype=np.int64),
            wide.to_numpy(dtype=float),
            tops.to_numpy(dtype=float),
        )


def sheet_points(
    criterion_points: np.ndarray,
    criterion_stage: np.ndarray,
    applies: np.ndarray,
    kind: np.ndarray,
    stage_maxima: np.ndarray,
    *,
    stages: tuple[str, ...],
    dossier_id: np.ndarray,
    expert_id: np.ndarray,
) -> SheetPoints:
    """Score sheets from their criterion scores, vectorised: ``criterion_points`` is
    ``sheets x criteria`` (NaN: no score), ``criterion_stage`` each criterion's stage
    (an index into ``stages``), ``applies`` ``kinds x criteria`` (whether a criterion
    applies to a kind of applicant), ``kind`` each sheet's applicant kind (an index),
    ``stage_maxima`` ``kinds x stages``. Only the criteria that apply count; a stage
    without any counted score is NaN."""
    counted = applies[kind] & ~np.isnan(criterion_points)
    one_hot = (criterion_stage[:, None] == np.arange(len(stages))[None, :]).astype(float)
    sums = np.where(counted, criterion_points, 0.0) @ one_hot
    present = counted.astype(float) @ one_hot > 0
    return SheetPoints(
        stages,
        dossier_id,
        expert_id,
        np.where(present, sums, np.nan),
        stage_maxima[kind],
    )


class _Groups:
    """Rows sorted by a key, with where each key's run starts: sums, counts, extremes
    and the like per key with one numpy call each."""

    def __init__(self, keys: np.ndarray) -> None:
        """``keys`` sorted."""
        change = np.ones(len(keys), dtype=bool)
        change[1:] = keys[1:] != keys[:-1]
        self.starts = np.flatnonzero(change)
        self.keys = keys[self.starts]
        self.counts = np.diff(np.append(self.starts, len(keys)))
        self.index = np.repeat(np.arange(len(self.keys)), self.counts)

    def sum(self, values: np.ndarray) -> np.ndarray:
        if not len(values):
            return np.zeros((0, *values.shape[1:]))
        return np.add.reduceat(values, self.starts, axis=0)

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Each row minus its group's mean (NaN rows count as absent)."""
        present = ~np.isnan(values)
        counts = self.sum(present.astype(float))
        mean = self.sum(np.where(present, values, 0.0)) / np.where(counts > 0, counts, np.nan)
        return values - mean[self.index]


def _trimmed(
    groups: _Groups, points: np.ndarray, method: str, trim_min: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's aggregate per stage (NaN where nobody scored it) and its counts."""
    present = ~np.isnan(points)
    counts = groups.sum(present.astype(np.int64))
    if method == "median":
        return _median(groups, points, counts), counts
    summed = groups.sum(np.where(present, points, 0.0))
    mean = summed / np.where(counts > 0, counts, np.nan)
    if method == "mean":
        return mean, counts
    high = np.maximum.reduceat(np.where(present, points, -np.inf), groups.starts, axis=0)
    low = np.minimum.reduceat(np.where(present, points, np.inf), groups.starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        trimmed = (summed - high - low) / (counts - 2)
    # Exactly one highest and one lowest dropped, when at least ``trim_min`` scored.
    return np.where(counts >= trim_min, trimmed, mean), counts


def _median(groups: _Groups, points: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each group's median per stage, ignoring NaN."""
    result = np.full(counts.shape, np.nan)
    for column in range(points.shape[1]):
        values = np.where(np.isnan(points[:, column]), np.inf, points[:, column])
        order = np.lexsort((values, groups.index))  # NaN (as inf) last in each group
        ranked = values[order]
        n = counts[:, column]
        has = n > 0
        low = groups.starts[has] + (n[has] - 1) // 2
        high = groups.starts[has] + n[has] // 2
        result[has, column] = (ranked[low] + ranked[high]) / 2
    return result


def _normalised(sheets: SheetPoints, panels: dict[Any, Any], min_dossiers: int) -> np.ndarray:
    """z-score each expert's stage points over their dossiers, mapped back to the scale
    of their panel (mean and spread of all the panel's points in that stage)."""
    points = sheets.points
    order = np.argsort(sheets.expert_id, kind="stable")
    by_expert = _Groups(sheets.expert_id[order])
    ranked = points[order]
    present = ~np.isnan(ranked)
    counts = by_expert.sum(present.astype(np.int64))
    few = by_expert.keys[((counts < min_dossiers) & (counts > 0)).any(axis=1)]
    if len(few):
        raise ConsolidationError(
            N_(
                "normalisation needs at least {n} dossiers per expert; "
                "expert {experts} scored fewer"
            ),
            n=min_dossiers,
            experts=", ".join(map(str, sorted(few.tolist()))),
        )
    gap = by_expert.spread(ranked)
    spread = np.sqrt(by_expert.sum(np.where(present, gap, 0.0) ** 2) / np.maximum(counts, 1))
    flat = by_expert.keys[((spread == 0) & (counts > 0)).any(axis=1)]
    if len(flat):
        raise ConsolidationError(
            N_("normalisation is impossible: expert {experts} gave all dossiers the same total"),
            experts=", ".join(map(str, sorted(flat.tolist()))),
        )
    z = gap / spread[by_expert.index]
    panel_of = np.array([panels.get(e, -1) for e in sheets.expert_id[order].tolist()])
    panel_order = np.argsort(panel_of, kind="stable")
    by_panel = _Groups(panel_of[panel_order])
    in_panel = ranked[panel_order]
    panel_present = ~np.isnan(in_panel)
    panel_counts = np.maximum(by_panel.sum(panel_present.astype(np.int64)), 1)
    panel_mean = by_panel.sum(np.where(panel_present, in_panel, 0.0)) / panel_counts
    panel_gap = by_panel.spread(in_panel)
    panel_sd = np.sqrt(by_panel.sum(np.where(panel_present, panel_gap, 0.0) ** 2) / panel_counts)
    back = np.empty_like(panel_order)
    back[panel_order] = np.arange(len(panel_order))
    scaled = z * panel_sd[by_panel.index][back] + panel_mean[by_panel.index][back]
    result = np.empty_like(points)
    result[order] = scaled
    return result


def normalise(totals: pd.DataFrame, panels: dict[Any, Any], min_dossiers: int) -> pd.DataFrame:
    """:func:`_normalised` on a long table of stage totals (``dossier_id``,
    ``expert_id``, ``stage``, ``points``); the same table with the points normalised."""
    maxima = totals[["dossier_id", "stage"]].drop_duplicates().assign(max=1.0)
    sheets = SheetPoints.from_long(totals, maxima)
    scaled = _normalised(sheets, panels, min_dossiers)
    wide = pd.DataFrame(
        scaled,
        index=pd.MultiIndex.from_arrays(
            [sheets.dossier_id, sheets.expert_id], names=["dossier_id", "expert_id"]
        ),
        columns=pd.Index(sheets.stages, name="stage"),
    )
    long = (
        wide.reset_index()
        .melt(id_vars=["dossier_id", "expert_id"], var_name="stage", value_name="points")
        .dropna(subset=["points"])
        .sort_values(["dossier_id", "expert_id"], kind="stable")
        .reset_index(drop=True)
    )
    return long.astype({"stage": object})[["dossier_id", "expert_id", "stage", "points"]]


def _flags(groups: _Groups, total: np.ndarray, percent: float, sd: float) -> dict[str, Any]:
    """Deviation flags of each row's total against the others of its group."""
    n = groups.counts[groups.index].astype(float)
    s = groups.sum(total)[groups.index]
    others = n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_others = np.where(others > 0, (s - total) / others, np.nan)
        # The others' sample variance, from their deviations from the group's mean.
        gap_all = total - (s / n)
        squares = groups.sum(gap_all**2)[groups.index]
        # Sum of the others' squared deviations from their own mean.
        own = squares - gap_all**2 - (gap_all**2) / np.where(others > 0, others, np.nan)
        # Others that all agree leave only rounding here: no spread, not a tiny one.
        own = np.where(own <= 1e-12 * squares, 0.0, own)
        var_others = np.where(others > 1, own / (others - 1), np.nan)
        sd_others = np.sqrt(np.clip(var_others, 0, None))
        gap = total - mean_others
        relative = np.abs(gap) / np.where(np.abs(mean_others) > 0, np.abs(mean_others), np.nan)
        by_percent = relative > percent / 100
        by_sd = (others >= 3) & (sd_others > 0) & (np.abs(gap) > sd * sd_others)
        gap_percent = 100 * gap / np.where(np.abs(mean_others) > 0, mean_others, np.nan)
    return {
        "mean_others": mean_others,
        "gap_percent": gap_percent,
        "flagged": by_percent | by_sd,
        "direction": np.where(gap > 0, "high", "low"),
    }


def deviation_flags(expert_totals: pd.DataFrame, percent: float, sd: float) -> pd.DataFrame:
    """Flag an expert's overall total more than ``percent`` % from the mean of the other
    experts on the same dossier, or more than ``sd`` sample standard deviations of the
    others' totals from it. The standard-deviation test needs at least three other
    experts: two totals that happen to agree would otherwise flag any third one."""
    frame = expert_totals[["dossier_id", "expert_id", "total"]].copy()
    order = np.argsort(frame["dossier_id"].to_numpy(), kind="stable")
    groups = _Groups(frame["dossier_id"].to_numpy()[order])
    found = _flags(groups, frame["total"].to_numpy(dtype=float)[order], percent, sd)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    for column, values in found.items():
        frame[column] = values[back]
    return frame


def _leniency(groups: _Groups, expert_id: np.ndarray, total: np.ndarray) -> pd.DataFrame:
    """Each expert's mean relative gap to the dossier means (positive: lenient)."""
    mean = (groups.sum(total) / groups.counts)[groups.index]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(mean != 0, (total - mean) / mean, np.nan)
    experts, where = np.unique(expert_id, return_inverse=True)
    valid = ~np.isnan(gap)
    counts = np.bincount(where[valid], minlength=len(experts))
    sums = np.bincount(where[valid], weights=gap[valid], minlength=len(experts))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / np.where(counts > 0, counts, np.nan)
    return pd.DataFrame({"expert_id": experts, "leniency": means, "dossiers": counts})


def leniency(expert_totals: pd.DataFrame) -> pd.DataFrame:
    """Each expert's mean relative gap to the dossier means (positive: lenient)."""
    order = np.argsort(expert_totals["dossier_id"].to_numpy(), kind="stable")
    groups = _Groups(expert_totals["dossier_id"].to_numpy()[order])
    return _leniency(
        groups,
        expert_totals["expert_id"].to_numpy()[order],
        expert_totals["total"].to_numpy(dtype=float)[order],
    )


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
    """:func:`consolidate_sheets` on a long table of stage totals and the stage maxima
    per dossier."""
    if config.method not in METHODS:
        raise ConsolidationError(N_("unknown method {method}"), method=config.method)
    return consolidate_sheets(
        SheetPoints.from_long(stage_totals, stage_max),
        config,
        panels=panels,
        bonus=bonus,
        veto_counts=veto_counts,
        veto_thresholds=veto_thresholds,
    )


def consolidate_sheets(
    sheets: SheetPoints,
    config: ConsolidationConfig,
    *,
    panels: dict[Any, Any] | None = None,
    bonus: pd.Series | None = None,
    veto_counts: pd.DataFrame | None = None,
    veto_thresholds: dict[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Consolidate; return ``dossiers`` (score per dossier with stage points, bonus,
    vetoes), ``experts`` (each expert's weighted total per dossier with deviation flags)
    and ``leniency``. Sheets without any points take no part."""
    if config.method not in METHODS:
        raise ConsolidationError(N_("unknown method {method}"), method=config.method)
    scored = ~np.isnan(sheets.points).all(axis=1) if sheets.points.size else np.zeros(0, bool)
    # By dossier, then expert (one number per pair: one sort, not two).
    pair = sheets.dossier_id[scored] * (int(sheets.expert_id.max(initial=0)) + 1)
    order = np.argsort(pair + sheets.expert_id[scored], kind="stable")
    dossier = sheets.dossier_id[scored][order]
    expert = sheets.expert_id[scored][order]
    points = sheets.points[scored][order]
    maxima = sheets.maxima[scored][order]
    ranked = SheetPoints(sheets.stages, dossier, expert, points, maxima)
    if config.normalise and len(dossier):
        points = _normalised(ranked, panels or {}, config.normalise_min_dossiers)
    weights = np.array([config.weights.get(stage, 0.0) for stage in sheets.stages], dtype=float)
    groups = _Groups(dossier)
    # Each expert's weighted total (for deviation flags and leniency).
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = weights * points / maxima
    total = np.where(np.isnan(shares), 0.0, shares).sum(axis=1) * config.total
    flags = pd.DataFrame({"dossier_id": dossier, "expert_id": expert, "total": total})
    for column, values in _flags(
        groups, total, config.deviation_percent, config.deviation_sd
    ).items():
        flags[column] = values
    # Across experts per dossier and stage, then weighted.
    agg, counts = _trimmed(groups, points, config.method, config.trim_min_experts)
    top = maxima[groups.starts] if len(dossier) else np.zeros((0, len(weights)))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = agg / top
    present = counts > 0
    weight_present = (present * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = (
            np.where(present, share, 0.0)
            @ weights
            / np.where(weight_present > 0, weight_present, np.nan)
        )
    result = pd.DataFrame({"dossier_id": groups.keys, "base": base * config.total})
    configured = [stage for stage in config.weights]
    result["complete"] = present.sum(axis=1) == len(configured)
    column_of = {stage: i for i, stage in enumerate(sheets.stages)}
    for stage in configured:
        result[f"points_{stage}"] = (
            np.where(present[:, column_of[stage]], agg[:, column_of[stage]], np.nan)
            if stage in column_of
            else np.nan
        )
    result["experts"] = counts.max(axis=1) if counts.size else 0
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
    return {
        "dossiers": result,
        "experts": flags,
        "leniency": _leniency(groups, expert, total),
    }
