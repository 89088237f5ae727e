"""The typed values a ranked list hands to its readers (the pages, the exports, the
command line): the configuration it was computed with, the finalised list it is
compared with, each panel's reliability, the scores that were not counted and the rows
of the ranked table. Each value that crosses a file or database boundary has ONE codec
next to it (``encode_*``/``decode_*``): JSON is made and read there only.

The configuration's codec makes exactly the JSON the previous versions made (the
finalised list's content hash is computed over it) and reads what they stored."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import pandas as pd

from review_desk.domain import Level, Tier
from scoring_models.aggregation import ConsolidationConfig


@dataclass(frozen=True)
class StabilityConfig:
    """How the bootstrap over the experts was drawn (0 resamples: not measured)."""

    resamples: int = 1000
    seed: int = 20220121


@dataclass(frozen=True)
class RankingConfig:
    """Everything a ranked list was computed with: the consolidation, the quotas and
    the stability measurement. ``direction_caps`` are the directions' own provincial
    caps by direction id (a direction without one uses ``direction_cap``)."""

    consolidation: ConsolidationConfig
    provincial_target: int
    direction_cap: int
    direction_caps: Mapping[int, int] = field(default_factory=dict)
    min_score: float | None = None
    tie_breaks: tuple[str, ...] = ()
    stability: StabilityConfig = field(default_factory=StabilityConfig)

    @property
    def method(self) -> str:
        """The consolidation method (``mean``, ``median`` or ``trimmed``)."""
        return self.consolidation.method

    @property
    def trim_min_experts(self) -> int:
        """The number of experts from which the highest and lowest are dropped."""
        return self.consolidation.trim_min_experts

    @property
    def normalise(self) -> bool:
        """Whether the experts' totals are normalised."""
        return self.consolidation.normalise

    @property
    def weights(self) -> Mapping[str, float]:
        """The rubric's stage weights, by stage key."""
        return self.consolidation.weights

    @property
    def rubric_hash(self) -> str:
        """The content hash of the rubric the list was computed with."""
        return self.consolidation.rubric_hash

    def cap_of(self, direction_id: int) -> int:
        """The provincial places a direction may take."""
        return int(self.direction_caps.get(direction_id, self.direction_cap))

    def options(self) -> dict[str, Any]:
        """The ``ranking.compute`` parameters that compute this list again."""
        return {
            "method": self.method,
            "trim_min": self.trim_min_experts,
            "normalise": self.normalise,
            "deviation_percent": self.consolidation.deviation_percent,
            "deviation_sd": self.consolidation.deviation_sd,
            "target": self.provincial_target,
            "cap": self.direction_cap,
            "min_score": self.min_score,
        }


def encode_config(config: RankingConfig) -> dict[str, Any]:
    """The configuration as JSON data, key for key what the previous versions stored
    and hashed (``direction_caps`` keyed by int, as ``json.dumps`` writes them)."""
    return {
        **config.consolidation.as_dict(),
        "provincial_target": config.provincial_target,
        "direction_cap": config.direction_cap,
        "direction_caps": dict(config.direction_caps),
        "min_score": config.min_score,
        "tie_breaks": list(config.tie_breaks),
        "stability": {"resamples": config.stability.resamples, "seed": config.stability.seed},
    }


def list_content_hash(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The content hash a finalised list is locked under: the SHA-256 of its encoded
    configuration (:func:`encode_config`) and its rows (``ranking_steps.final_rows``)
    as canonical JSON."""
    canonical = json.dumps(
        {"config": config, "rows": rows}, ensure_ascii=False, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_CONSOLIDATION_KEYS = tuple(ConsolidationConfig.__dataclass_fields__)


def decode_config(data: Mapping[str, Any]) -> RankingConfig:
    """A configuration from its JSON data (as a finalised list stores it: direction ids
    as text keys); what an older version did not store takes its default."""
    defaults = ConsolidationConfig()
    consolidation = ConsolidationConfig(
        **{
            key: data.get(key, getattr(defaults, key))
            for key in _CONSOLIDATION_KEYS
            if key != "weights"
        },
        weights=dict(data.get("weights") or {}),
    )
    stability = data.get("stability") or {}
    return RankingConfig(
        consolidation=consolidation,
        provincial_target=int(data.get("provincial_target") or 0),
        direction_cap=int(data.get("direction_cap") or 0),
        direction_caps={int(k): int(v) for k, v in (data.get("direction_caps") or {}).items()},
        min_score=data.get("min_score"),
        tie_breaks=tuple(data.get("tie_breaks") or ()),
        stability=StabilityConfig(
            resamples=int(stability.get("resamples", 0)),
            seed=int(stability.get("seed", StabilityConfig.seed)),
        ),
    )


@dataclass(frozen=True)
class RankingOptions:
    """The parameters a user sets for a ranked list (the ranking page's panel):
    ``compute``'s keyword arguments as one typed value. ``None`` for ``target`` or
    ``cap`` means the project's own setting; ``min_score`` ``None`` means no floor."""

    method: str = "trimmed"
    trim_min: int = 5
    normalise: bool = False
    target: int | None = None
    cap: int | None = None
    min_score: float | None = None

    def kwargs(self) -> dict[str, Any]:
        """The options as ``ranking.compute`` (and the decisions) take them."""
        return {
            "method": self.method,
            "trim_min": self.trim_min,
            "normalise": self.normalise,
            "target": self.target,
            "cap": self.cap,
            "min_score": self.min_score,
        }


@dataclass(frozen=True)
class RankSummary:
    """The counts the ranking page heads its table with."""

    provincial: int
    municipal: int
    tied: int
    unexplained_deviations: int
    fragile: int


@dataclass(frozen=True)
class DirectionSummary:
    """One industry direction of a ranked list: its provincial places taken against its
    cap, its candidates, its best score and who was chosen."""

    direction: str
    provincial: int
    cap: int
    candidates: int
    best: float | None
    selected: str


def direction_summaries(rows: list[RankRow], config: RankingConfig) -> list[DirectionSummary]:
    """Each direction of ``rows``, most provincial places first, then by best score."""
    groups: dict[str, list[RankRow]] = {}
    for row in rows:
        groups.setdefault(row.direction, []).append(row)
    summary = []
    for direction, members in groups.items():
        chosen = [r for r in members if r.adjusted_tier == Tier.PROVINCIAL]
        scores = [r.score for r in members if r.score is not None]
        summary.append(
            DirectionSummary(
                direction=direction,
                provincial=len(chosen),
                cap=config.cap_of(members[0].direction_id),
                candidates=len(members),
                best=max(scores) if scores else None,
                selected="、".join(f"{r.code} {r.applicant}" for r in chosen),
            )
        )
    summary.sort(key=lambda d: (-d.provincial, -(d.best or 0)))
    return summary


@dataclass(frozen=True)
class FinalisedList:
    """The committee's locked list as today's list sees it: its content hash, who
    locked it when, and the dossier codes whose tier or score differ today."""

    content_hash: str
    finalised_at: datetime
    finalised_by: str
    changed_since: tuple[str, ...] = ()


def encode_finalised(final: FinalisedList | None) -> dict[str, Any] | None:
    """The finalised list as JSON data (``rank --json``)."""
    if final is None:
        return None
    return {
        "content_hash": final.content_hash,
        "finalised_at": final.finalised_at.isoformat(),
        "finalised_by": final.finalised_by,
        "changed_since": list(final.changed_since),
    }


@dataclass(frozen=True)
class PanelReliability:
    """ICC and Kendall's W of one panel on its largest complete block (the most
    dossiers x experts such that every expert of it scored every dossier of it);
    ``icc`` is None when no block is large enough."""

    panel: int
    dossiers: int = 0
    experts: int = 0
    icc: Mapping[str, float] | None = None
    kendall_w: float | None = None
    cells: int = 0
    dossier_ids: tuple[int, ...] = ()
    dossier_codes: tuple[str, ...] = ()
    expert_ids: tuple[int, ...] = ()
    expert_names: tuple[str, ...] = ()
    exact: bool = True


def encode_reliability(entry: PanelReliability) -> dict[str, Any]:
    """A panel's reliability as JSON data (``rank --json``)."""
    return {
        "panel": entry.panel,
        "dossiers": entry.dossiers,
        "experts": entry.experts,
        "icc": dict(entry.icc) if entry.icc is not None else None,
        "kendall_w": entry.kendall_w,
        "cells": entry.cells,
        "dossier_ids": list(entry.dossier_ids),
        "dossier_codes": list(entry.dossier_codes),
        "expert_ids": list(entry.expert_ids),
        "expert_names": list(entry.expert_names),
        "exact": entry.exact,
    }


@dataclass(frozen=True)
class NonApplicableScore:
    """Points stored for a criterion that does not apply to the dossier's applicant
    kind (or is not in the sheet's rubric): never counted, reported for correction."""

    code: str
    expert: str
    criterion: str
    points: float


def encode_non_applicable(entry: NonApplicableScore) -> dict[str, Any]:
    """A score that was not counted as JSON data (``rank --json``)."""
    return {
        "code": entry.code,
        "expert": entry.expert,
        "criterion": entry.criterion,
        "points": entry.points,
    }


@dataclass(frozen=True)
class RankRow:
    """One candidate of the ranked list as the ranking page shows it. ``score`` is None
    when the dossier has no consolidated score; ``rank`` None for the unranked."""

    dossier_id: int
    code: str
    applicant: str
    direction_id: int
    direction: str
    requested_level: Level
    score: float | None
    experts: int
    rank: int | None
    tier: Tier
    adjusted_tier: Tier
    adjustment_reason: str
    flags: int
    p_provincial: float | None
    fragile: bool
    reason: str

    @property
    def adjusted(self) -> bool:
        """Whether the committee moved the candidate to another tier."""
        return self.adjusted_tier != self.tier


_TIERS = {tier.value: tier for tier in Tier}
_LEVELS = {level.value: level for level in Level}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or number < 0 else number


def rank_rows(table: pd.DataFrame) -> list[RankRow]:
    """The ranked table's rows as typed values, read column-wise (a national round has
    tens of thousands of rows)."""

    def column(name: str) -> list[Any]:
        return table[name].astype(object).where(table[name].notna(), None).tolist()

    columns = zip(
        column("dossier_id"),
        column("code"),
        column("applicant"),
        column("direction_id"),
        column("direction"),
        column("requested_level"),
        column("score"),
        column("experts"),
        column("rank"),
        column("tier"),
        column("adjusted_tier"),
        column("adjustment_reason"),
        column("flags"),
        column("p_provincial"),
        column("fragile"),
        column("reason"),
        strict=True,
    )
    return [
        RankRow(
            dossier_id=int(dossier_id),
            code=str(code),
            applicant=str(applicant),
            direction_id=int(direction_id),
            direction=str(direction),
            requested_level=_LEVELS[str(level)],
            score=_number(score),
            experts=int(experts or 0),
            rank=int(rank) if rank is not None else None,
            tier=_TIERS[str(tier)],
            adjusted_tier=_TIERS[str(adjusted)],
            adjustment_reason=str(why or ""),
            flags=int(flags or 0),
            p_provincial=_number(p),
            fragile=bool(fragile),
            reason=str(reason or ""),
        )
        for (
            dossier_id,
            code,
            applicant,
            direction_id,
            direction,
            level,
            score,
            experts,
            rank,
            tier,
            adjusted,
            why,
            flags,
            p,
            fragile,
            reason,
        ) in columns
    ]


class DeviationDirection(StrEnum):
    """Whether a deviating score is abnormally high or abnormally low (畸高/畸低)."""

    HIGH = "high"
    LOW = "low"


@dataclass(frozen=True)
class DeviationFlag:
    """An expert's total on a dossier that deviates from the other experts' mean, with
    the written explanation (``note``) finalising needs."""

    dossier_id: int
    expert_id: int
    code: str
    expert: str
    total: float
    mean_others: float
    gap_percent: float
    direction: DeviationDirection
    note: str
    explained: bool


def unexplained_deviations(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The deviation flags (``RankResult.experts``) without a written explanation, each
    blocking finalisation, as (dossier code, expert name) pairs in the order of the codes."""
    waiting = frame[~frame["explained"]]
    return sorted(
        (str(code), str(expert))
        for code, expert in zip(waiting["code"], waiting["expert"], strict=True)
    )


def encode_deviations(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The deviation flags as JSON rows (``rank --json``, ``recognition outcomes
    --json``): the dossier's code and the expert's name beside their ids, and whether the
    flag blocks finalising (no explanation yet)."""
    rows = cast(list[dict[str, Any]], frame.replace({math.nan: None}).to_dict("records"))
    for row in rows:
        row["blocks_finalise"] = not row["explained"]
    return rows


def deviation_flags(frame: pd.DataFrame) -> list[DeviationFlag]:
    """The deviation flags (``RankResult.experts``) as typed values."""
    return [
        DeviationFlag(
            dossier_id=int(d),
            expert_id=int(e),
            code=str(code),
            expert=str(name) if isinstance(name, str) else str(e),
            total=float(total),
            mean_others=float(mean),
            gap_percent=float(gap),
            direction=DeviationDirection(direction),
            note=str(note or ""),
            explained=bool(explained),
        )
        for d, e, code, name, total, mean, gap, direction, note, explained in zip(
            frame["dossier_id"].tolist(),
            frame["expert_id"].tolist(),
            frame["code"].tolist(),
            frame["expert"].tolist(),
            frame["total"].tolist(),
            frame["mean_others"].tolist(),
            frame["gap_percent"].tolist(),
            frame["direction"].tolist(),
            frame["note"].tolist(),
            frame["explained"].tolist(),
            strict=True,
        )
    ]


@dataclass(frozen=True)
class ExpertLeniency:
    """An expert's average relative gap to the other experts on the same dossiers."""

    expert_id: int
    expert: str
    dossiers: int
    leniency: float


def leniency_rows(frame: pd.DataFrame) -> list[ExpertLeniency]:
    """Each expert's leniency (``RankResult.leniency``) as typed values."""
    return [
        ExpertLeniency(int(e), str(name) if isinstance(name, str) else str(e), int(n), float(x))
        for e, name, n, x in zip(
            frame["expert_id"].tolist(),
            frame["expert"].tolist(),
            frame["dossiers"].tolist(),
            frame["leniency"].tolist(),
            strict=True,
        )
    ]


@dataclass(frozen=True)
class TierChange:
    """A candidate whose computed tier differs between two lists (what-if)."""

    dossier_id: int
    code: str
    applicant: str
    direction: str
    score_before: float | None
    tier_before: Tier
    score_after: float | None
    tier_after: Tier


def tier_changes(frame: pd.DataFrame) -> list[TierChange]:
    """The what-if differences (``ranking.what_if``) as typed values."""
    return [
        TierChange(
            int(d),
            str(code),
            str(applicant),
            str(direction),
            _number(before),
            _TIERS[str(tier_before)],
            _number(after),
            _TIERS[str(tier_after)],
        )
        for d, code, applicant, direction, before, tier_before, after, tier_after in zip(
            frame["dossier_id"].tolist(),
            frame["code"].tolist(),
            frame["applicant"].tolist(),
            frame["direction"].tolist(),
            frame["score_before"].tolist(),
            frame["tier_before"].tolist(),
            frame["score_after"].tolist(),
            frame["tier_after"].tolist(),
            strict=True,
        )
    ]
