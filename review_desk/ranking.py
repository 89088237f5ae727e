"""The ranked list (汇总排名): scores read from the project in bulk (SQL does the
summing), consolidated and allocated by ``scoring_models``, with reliability per panel,
deviation flags and their explanations, the committee's adjustments beside the computed
tiers, and finalisation that locks the list under a content hash.

:func:`compute` composes the steps of ``review_desk.ranking_steps`` (reading,
consolidating, allocating, analysing, comparing with the finalised list); what it
returns is a :class:`RankResult` of typed values (``review_desk.ranking_values``).

Each candidate's reason is a record (``reason_record``: a code with parameters, see
``review_desk.reasons``) and, for showing, its text in the current language
(``reason``). A finalised list stores and hashes the records only, so its hash is the
same whatever language the list was computed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.ranking_steps import (
    DOUBLE_HIGH_RANK,
    FINAL_COLUMNS,
    RankingError,
    RankingInputs,
    allocate_tiers,
    analyse,
    analyse_scores,
    apply_adjustments,
    compare_with_final,
    consolidate,
    final_rows,
    non_applicable_scores,
    raw_rows,
    read_inputs,
)
from review_desk.ranking_values import (
    DeviationFlag,
    ExpertLeniency,
    FinalisedList,
    NonApplicableScore,
    PanelReliability,
    RankingConfig,
    RankRow,
    RankSummary,
    StabilityConfig,
    TierChange,
    deviation_flags,
    leniency_rows,
    rank_rows,
    tier_changes,
)
from review_desk.reasons import Reason, encode
from review_desk.rubrics import active_rubric, load_rubric, rubric_text
from review_desk.scoring import totals as sheet_totals
from scoring_models.aggregation import ConsolidationConfig
from scoring_models.rubric import Rubric

__all__ = [
    "DOUBLE_HIGH_RANK",
    "FINAL_COLUMNS",
    "TIERS",
    "DeviationFlag",
    "ExpertLeniency",
    "FinalisedList",
    "NonApplicableScore",
    "PanelReliability",
    "RankResult",
    "RankRow",
    "RankingConfig",
    "RankingError",
    "TierChange",
    "check_parameters",
    "compute",
    "compute_from",
    "deviations",
    "final_rows",
    "non_applicable_scores",
    "ranking_config",
    "reliability_reading",
    "stage_totals",
    "tier_label",
    "what_if",
    "what_if_rows",
]

TIERS = tuple(Tier)
# Kept for the modules that read with the ranking's fast path.
_raw_rows = raw_rows


def tier_label(tier: str | None) -> str:
    """A tier as shown to users (an unknown one as it is)."""
    if tier in TIERS:
        return Tier(tier).label
    return tier or ""


def what_if(current: RankResult, alternative: RankResult) -> pd.DataFrame:
    """The candidates whose computed tier differs between two results, with both tiers."""
    before = current.table[["dossier_id", "code", "applicant", "direction", "score", "tier"]]
    after = alternative.table[["dossier_id", "tier", "score"]]
    merged = before.merge(after, on="dossier_id", suffixes=("_before", "_after"))
    changed = merged[merged["tier_before"] != merged["tier_after"]]
    return changed.sort_values("score_before", ascending=False).reset_index(drop=True)


def what_if_rows(current: RankResult, alternative: RankResult) -> list[TierChange]:
    """:func:`what_if` as typed rows, for showing."""
    return tier_changes(what_if(current, alternative))


@dataclass(frozen=True)
class RankResult:
    """Everything the ranking page and the exports show."""

    config: RankingConfig
    table: pd.DataFrame  # one row per dossier
    experts: pd.DataFrame  # deviation flags per expert and dossier
    leniency: pd.DataFrame
    reliability: list[PanelReliability] = field(default_factory=list)
    finalised: FinalisedList | None = None
    # Every expert's weighted total per dossier (dossier_id, expert_id, expert, total,
    # flagged, ...): the flagged ones are ``experts``.
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Stored points for criteria that do not apply (not counted): see
    # ``non_applicable_scores``.
    non_applicable: list[NonApplicableScore] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The table as plain JSON-ready rows (each reason as its text in the current
        language, ``reason``, and as its record, ``reason_record``): the file format
        of ``rank --json``."""
        columns = []
        for name in self.table.columns:
            column = self.table[name]
            values = column.tolist()  # numpy scalars become Python ones, column-wise
            missing = column.isna().to_numpy()
            if missing.any():
                values = [None if gone else v for v, gone in zip(values, missing, strict=True)]
            if column.dtype == object:
                values = [_plain(v) for v in values]
            columns.append(values)
        names = [str(name) for name in self.table.columns]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

    def rank_rows(self) -> list[RankRow]:
        """The table as typed rows, for showing."""
        return rank_rows(self.table)

    def deviation_flags(self) -> list[DeviationFlag]:
        """The deviation flags as typed rows, for showing."""
        return deviation_flags(self.experts)

    def leniency_rows(self) -> list[ExpertLeniency]:
        """Each expert's leniency as typed rows, for showing."""
        return leniency_rows(self.leniency)

    def summary(self) -> RankSummary:
        """How many are provincial, municipal/county and tied after the committee's
        adjustments, how many deviations are unexplained, how many selections fragile."""
        tiers = self.table["adjusted_tier"].value_counts()
        experts = self.experts
        return RankSummary(
            provincial=int(tiers.get(Tier.PROVINCIAL, 0)),
            municipal=int(tiers.get(Tier.MUNICIPAL, 0)),
            tied=int(tiers.get(Tier.TIED, 0)),
            unexplained_deviations=int((~experts["explained"]).sum()) if len(experts) else 0,
            fragile=int(self.table["fragile"].sum()),
        )


def _plain(value: Any) -> Any:
    """A table value as JSON data."""
    if isinstance(value, Reason):
        return encode(value)
    return value.item() if hasattr(value, "item") else value


def stage_totals(
    project: Project, rubric: Rubric | None = None
) -> tuple[pd.DataFrame, dict[str, Rubric]]:
    """Each submitted sheet's counted points per stage as a long table (``dossier_id``,
    ``expert_id``, ``stage``, ``points``), and the rubric versions in use by content
    hash. ``rubric`` is the active one when the caller has it already."""
    rubric = rubric or active_rubric(project)
    rubrics = {rubric.content_hash: rubric}
    with project.reading() as session:
        versions = sheet_totals.read(session, rubrics)
        for version in versions:
            if version.content_hash not in rubrics:
                stored = rubric_text(session, version.content_hash)
                if stored is not None:
                    rubrics[version.content_hash] = load_rubric(stored)
    parts = [
        pd.DataFrame(v.points, columns=list(v.stages))
        .assign(dossier_id=v.dossier_id, expert_id=v.expert_id)
        .melt(id_vars=["dossier_id", "expert_id"], var_name="stage", value_name="points")
        .dropna(subset=["points"])
        for v in versions
    ]
    columns = ["dossier_id", "expert_id", "stage", "points"]
    frame = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    frame["points"] = frame["points"].astype(float)
    frame["stage"] = frame["stage"].astype(object)
    return frame, rubrics


def check_parameters(
    rubric: Rubric,
    *,
    target: int | None = None,
    cap: int | None = None,
    min_score: float | None = None,
    resamples: int = 0,
    trim_min: int = 5,
) -> None:
    """Refuse ranking parameters that make no sense (a list with no place, a minimum
    score no dossier can reach) with a message for the user."""
    if target is not None and target < 1:
        raise RankingError(
            tr("The number of provincial places must be at least 1 (not {value}).", value=target)
        )
    if cap is not None and cap < 1:
        raise RankingError(
            tr("The provincial places per direction must be at least 1 (not {value}).", value=cap)
        )
    if resamples < 0:
        raise RankingError(
            tr("The number of resamples cannot be negative (not {value}).", value=resamples)
        )
    if trim_min < 3:
        raise RankingError(tr("Trimming needs at least 3 experts (not {value}).", value=trim_min))
    if min_score is not None and not 0 <= min_score <= rubric.total:
        raise RankingError(
            tr(
                "The minimum score must be between 0 and the rubric's total {total} (not {value}).",
                total=f"{rubric.total:g}",
                value=f"{min_score:g}",
            )
        )


def ranking_config(
    inputs: RankingInputs,
    *,
    method: str = "trimmed",
    trim_min: int = 5,
    normalise: bool = False,
    target: int | None = None,
    cap: int | None = None,
    min_score: float | None = None,
    deviation_percent: float = 30.0,
    deviation_sd: float = 2.0,
    resamples: int = 1000,
    seed: int = 20220121,
) -> RankingConfig:
    """The configuration :func:`compute`'s parameters give on what was read: the
    project's quotas where no target or cap is given, the rubric's weights."""
    rubric = inputs.rubric
    return RankingConfig(
        consolidation=ConsolidationConfig(
            method=method,
            trim_min_experts=trim_min,
            normalise=normalise,
            deviation_percent=deviation_percent,
            deviation_sd=deviation_sd,
            weights={s.key: s.weight for s in rubric.stages},
            total=rubric.total,
            rubric_hash=rubric.content_hash,
        ),
        provincial_target=target if target is not None else inputs.provincial_target,
        direction_cap=cap if cap is not None else inputs.direction_cap,
        direction_caps=inputs.direction_caps,
        min_score=min_score,
        tie_breaks=("double_high_rank", "tech_transfer"),
        stability=StabilityConfig(resamples=resamples, seed=seed),
    )


def compute(
    project: Project,
    *,
    method: str = "trimmed",
    trim_min: int = 5,
    normalise: bool = False,
    target: int | None = None,
    cap: int | None = None,
    min_score: float | None = None,
    deviation_percent: float = 30.0,
    deviation_sd: float = 2.0,
    resamples: int = 1000,
    seed: int = 20220121,
) -> RankResult:
    """Consolidate, flag, allocate, measure stability (``resamples`` bootstrap draws
    over the experts, seeded; 0 skips it), apply the committee's adjustments and
    compare with the finalised list."""
    rubric = active_rubric(project)
    check_parameters(
        rubric, target=target, cap=cap, min_score=min_score, resamples=resamples, trim_min=trim_min
    )
    inputs = read_inputs(project, rubric)
    config = ranking_config(
        inputs,
        method=method,
        trim_min=trim_min,
        normalise=normalise,
        target=target,
        cap=cap,
        min_score=min_score,
        deviation_percent=deviation_percent,
        deviation_sd=deviation_sd,
        resamples=resamples,
        seed=seed,
    )
    return compute_from(inputs, config)


def compute_from(inputs: RankingInputs, config: RankingConfig) -> RankResult:
    """Steps 2 to 6 of :func:`compute` on what was read (``inputs``, from a project by
    ``read_inputs`` or from elsewhere, e.g. a verification bundle) with ``config``:
    consolidate, allocate, analyse, apply the committee's adjustments and compare with
    the finalised list."""
    consolidated = consolidate(inputs, config.consolidation)
    allocated = allocate_tiers(consolidated, config)
    analysis = analyse(inputs, consolidated, allocated, config)
    table = apply_adjustments(analysis.table, inputs.adjustments)
    return RankResult(
        config,
        table,
        analysis.flagged,
        analysis.leniency,
        analysis.reliability,
        compare_with_final(table, inputs.final),
        analysis.totals,
        list(inputs.non_applicable),
    )


def deviations(
    project: Project,
    *,
    method: str = "trimmed",
    trim_min: int = 5,
    normalise: bool = False,
    deviation_percent: float = 30.0,
    deviation_sd: float = 2.0,
    **quotas: Any,
) -> pd.DataFrame:
    """The deviation flags with their explanations (``RankResult.experts``) as
    :func:`compute` finds them with these options, without allocating places: the flags
    do not depend on the allocation (``quotas``, its options, play no part), and a
    recognition round has none."""
    del quotas
    rubric = active_rubric(project)
    check_parameters(rubric, trim_min=trim_min)
    inputs = read_inputs(project, rubric)
    config = ranking_config(
        inputs,
        method=method,
        trim_min=trim_min,
        normalise=normalise,
        deviation_percent=deviation_percent,
        deviation_sd=deviation_sd,
        resamples=0,
    )
    return analyse_scores(inputs, config)[1].flagged


def reliability_reading(entry: PanelReliability) -> str:
    """A plain-language reading of a panel's reliability."""
    if not entry.icc:
        return _("too few dossiers scored by all members to judge")
    value = entry.icc["ICC(2,k)"]
    level = (
        _("poor")
        if value < 0.5
        else _("moderate")
        if value < 0.75
        else _("good")
        if value < 0.9
        else _("excellent")
    )
    return tr(
        "the panel's averaged scores agree {level} (ICC(2,k) = {icc:.2f}); the rankings agree "
        "with W = {w:.2f}",
        level=level,
        icc=value,
        w=entry.kendall_w,
    )
