"""The ranked list (汇总排名): scores read from the project in bulk (SQL does the
summing), consolidated and allocated by ``scoring_models``, with reliability per panel,
deviation flags and their explanations, the committee's adjustments beside the computed
tiers, and finalisation that locks the list under a content hash.

Each candidate's reason is a record (``reason_record``: a code with parameters, see
``review_desk.reasons``) and, for showing, its text in the current language
(``reason``). A finalised list stores and hashes the records only, so its hash is the
same whatever language the list was computed in."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Executable, select, text
from sqlalchemy.orm import Session

from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.reasons import Reason, encode, render
from review_desk.rubrics import active_rubric, load_rubric, rubric_text
from review_desk.scoring import totals as sheet_totals
from review_desk.storage import models as m
from scoring_models.aggregation import (
    ConsolidationConfig,
    ConsolidationError,
    SheetPoints,
    consolidate_sheets,
)
from scoring_models.allocation import AllocationInputError, AllocationRules, allocate
from scoring_models.reliability import icc, kendall_w, largest_complete_block
from scoring_models.rubric import Rubric
from scoring_models.stability import stability

TIERS = ("provincial", "municipal", "not_recommended", "ineligible", "tied")
DOUBLE_HIGH_RANK = {"national": 2, "provincial": 1}


def tier_label(tier: str | None) -> str:
    """A tier as shown to users."""
    labels = {
        "provincial": _("provincial base"),
        "municipal": _("municipal/county base"),
        "not_recommended": _("not recommended"),
        "ineligible": _("ineligible"),
        "tied": _("tied: committee decides"),
    }
    return labels.get(tier or "", tier or "")


def what_if(current: RankResult, alternative: RankResult) -> pd.DataFrame:
    """The candidates whose computed tier differs between two results, with both tiers."""
    before = current.table[["dossier_id", "code", "applicant", "direction", "score", "tier"]]
    after = alternative.table[["dossier_id", "tier", "score"]]
    merged = before.merge(after, on="dossier_id", suffixes=("_before", "_after"))
    changed = merged[merged["tier_before"] != merged["tier_after"]]
    return changed.sort_values("score_before", ascending=False).reset_index(drop=True)


# What the ranking reads of each dossier, its lead applicant and its direction, in the
# order of the query in ``compute``; the applicant's facts that give bonus points are
# ``_FACTS``, columns 8 to 11.
_DOSSIER_COLUMNS = (
    "id",
    "code",
    "lead_applicant_id",
    "direction_id",
    "requested_level",
    "applicant",
    "city",
    "kind",
    "double_high",
    "major_tech_transfer",
    "pilot_enterprise_status",
    "local_presence",
    "direction",
    "provincial_cap",
)
_FACTS = _DOSSIER_COLUMNS[8:12]


class RankingError(UserError):
    """A ranking action that cannot be done; the message is for the user."""


@dataclass
class RankResult:
    """Everything the ranking page and the exports show."""

    config: dict[str, Any]
    table: pd.DataFrame  # one row per dossier
    experts: pd.DataFrame  # deviation flags per expert and dossier
    leniency: pd.DataFrame
    reliability: list[dict[str, Any]] = field(default_factory=list)
    finalised: dict[str, Any] | None = None
    # Every expert's weighted total per dossier (dossier_id, expert_id, expert, total,
    # flagged, ...): the flagged ones are ``experts``.
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Stored points for criteria that do not apply (not counted): see
    # ``non_applicable_scores``.
    non_applicable: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The table as plain JSON-ready rows (each reason as its text in the current
        language, ``reason``, and as its record, ``reason_record``)."""
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


def _plain(value: Any) -> Any:
    """A table value as JSON data."""
    if isinstance(value, Reason):
        return encode(value)
    return value.item() if hasattr(value, "item") else value


def _raw_rows(session: Session, statement: Executable) -> list[tuple[Any, ...]]:
    """Run a query that SQLAlchemy renders and binds for the database in use, and take
    the rows straight from the driver's cursor as plain tuples: Row objects would cost
    about a second per million rows, and pandas inspects them one by one."""
    result = session.connection().execute(statement)
    rows = list(result.cursor.fetchall()) if result.cursor is not None else []
    result.close()
    return rows


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


def _sheet_points(
    versions: list[sheet_totals.SheetTotals],
    rubric: Rubric,
    dossier_ids: np.ndarray,
    dossier_kinds: list[str],
) -> tuple[SheetPoints, list[int]]:
    """The submitted sheets of every rubric version as one array per column, on the
    active rubric's stages, with each dossier's stage maxima for its applicant's kind;
    and the ids of the sheets that hold points for criteria that do not apply.

    An expert who has submitted sheets of one dossier under two rubric versions counts
    once, with the later sheet."""
    keys = tuple(stage.key for stage in rubric.stages)
    column = {key: i for i, key in enumerate(keys)}
    blocks = []
    misplaced: list[int] = []
    for version in versions:
        block = np.full((len(version.sheet_id), len(keys)), np.nan)
        for i, stage in enumerate(version.stages):
            if stage in column:  # a stage the active rubric no longer has weighs nothing
                block[:, column[stage]] = version.points[:, i]
        blocks.append(block)
        misplaced += version.sheet_id[version.uncounted > 0].tolist()
    if not versions:
        empty = np.zeros(0, np.int64)
        return SheetPoints(
            keys, empty, empty, np.zeros((0, len(keys))), np.zeros((0, len(keys)))
        ), []
    sheet = np.concatenate([v.sheet_id for v in versions])
    dossier = np.concatenate([v.dossier_id for v in versions])
    expert = np.concatenate([v.expert_id for v in versions])
    points = np.concatenate(blocks)
    keep = np.arange(len(sheet))
    pair = dossier * (int(expert.max(initial=0)) + 1) + expert
    if len(versions) > 1 and len(np.unique(pair)) < len(pair):
        # The later sheet of an expert and a dossier: newest first, keep the first seen.
        newest = np.argsort(sheet, kind="stable")[::-1]
        keep = np.sort(newest[np.unique(pair[newest], return_index=True)[1]])
    # Each dossier's stage maxima, by its lead applicant's kind.
    kinds = sorted(set(dossier_kinds))
    by_kind = np.array([[rubric.stage_max(key, kind) for key in keys] for kind in kinds])
    known = dossier_ids
    index = {kind: i for i, kind in enumerate(kinds)}
    kind_of = np.array([index[kind] for kind in dossier_kinds], dtype=np.int64)
    order = np.argsort(known)
    where = np.clip(np.searchsorted(known[order], dossier[keep]), 0, max(len(known) - 1, 0))
    found = known[order][where] == dossier[keep] if len(known) else np.zeros(len(keep), bool)
    keep, where = keep[found], where[found]
    maxima = by_kind[kind_of[order][where]] if len(keep) else np.zeros((0, len(keys)))
    return SheetPoints(keys, dossier[keep], expert[keep], points[keep], maxima), misplaced


def non_applicable_scores(
    project: Project, rubric: Rubric | None = None, sheets: Collection[int] | None = None
) -> list[dict[str, Any]]:
    """Points on submitted sheets for criteria that do not apply to the dossier's
    applicant kind (or are not in the sheet's rubric): never counted, reported so the
    agency can correct them. One entry per score: dossier code, expert, criterion,
    points. ``rubric`` is the active one when the caller has it already; ``sheets``
    limits the search to those sheets (those whose ``uncounted_scores`` are not 0)."""
    if sheets is not None and not sheets:
        return []
    rubric = rubric or active_rubric(project)
    found: list[tuple[str, str, str, float]] = []
    with project.reading() as session:
        hashes = sorted(set(session.scalars(select(m.ScoreSheet.rubric_hash).distinct())))
        for content_hash in hashes:
            stored = rubric_text(session, content_hash)
            if content_hash == rubric.content_hash:
                version = rubric
            elif stored is not None:
                version = load_rubric(stored)
            else:
                continue
            statement = (
                select(m.Dossier.code, m.Expert.name, m.Score.criterion_id, m.Score.points)
                .select_from(m.Score)
                .join(m.ScoreSheet, m.ScoreSheet.id == m.Score.sheet_id)
                .join(m.Dossier, m.Dossier.id == m.ScoreSheet.dossier_id)
                .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
                .join(m.Expert, m.Expert.id == m.ScoreSheet.expert_id)
                .where(
                    m.ScoreSheet.status == "submitted",
                    m.ScoreSheet.rubric_hash == content_hash,
                    m.Score.points.is_not(None),
                    ~sheet_totals.applicable(version),
                )
            )
            if sheets is not None:
                statement = statement.where(m.ScoreSheet.id.in_(sorted(sheets)))
            found += [
                (str(c), str(e), str(k), float(p)) for c, e, k, p in _raw_rows(session, statement)
            ]
    return [{"code": c, "expert": e, "criterion": k, "points": p} for c, e, k, p in sorted(found)]


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
    over the experts, seeded; 0 skips it) and apply the committee's adjustments."""
    rubric = active_rubric(project)
    check_parameters(
        rubric, target=target, cap=cap, min_score=min_score, resamples=resamples, trim_min=trim_min
    )
    with project.reading() as session:
        versions = sheet_totals.read(session, {rubric.content_hash: rubric})
        info = session.scalars(select(m.ReviewProject)).one()
        dossiers = _raw_rows(
            session,
            select(
                m.Dossier.id,
                m.Dossier.code,
                m.Dossier.lead_applicant_id,
                m.Dossier.direction_id,
                m.Dossier.requested_level,
                m.Applicant.name,
                m.Applicant.city,
                m.Applicant.kind,
                m.Applicant.double_high,
                m.Applicant.major_tech_transfer,
                m.Applicant.pilot_enterprise_status,
                m.Applicant.local_presence,
                m.Direction.short_name,
                m.Direction.provincial_cap,
            )
            .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
            .join(m.Direction, m.Direction.id == m.Dossier.direction_id),
        )
        # Plain rows, not ORM objects: a national round has tens of thousands of each.
        verdicts = dict(
            _raw_rows(session, select(m.FormalReview.dossier_id, m.FormalReview.verdict))
        )
        panels = dict(_raw_rows(session, select(m.PanelMember.expert_id, m.PanelMember.panel_id)))
        veto_rows = session.execute(
            text(
                "SELECT sh.dossier_id, vf.veto_id, COUNT(*) FROM veto_flag vf "
                "JOIN score_sheet sh ON vf.sheet_id = sh.id WHERE sh.status = 'submitted' "
                "GROUP BY sh.dossier_id, vf.veto_id"
            )
        ).fetchall()
        adjustments = {}
        for a in session.scalars(select(m.CommitteeAdjustment).order_by(m.CommitteeAdjustment.id)):
            adjustments[a.dossier_id] = a
        notes = {
            (d, e): t
            for d, e, t in _raw_rows(
                session,
                select(m.DeviationNote.dossier_id, m.DeviationNote.expert_id, m.DeviationNote.text),
            )
        }
        final = session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()
        expert_names = dict(_raw_rows(session, select(m.Expert.id, m.Expert.name)))
        info_target, info_cap = info.provincial_target, info.per_direction_cap
    # Column-wise (not a loop over dossiers): national rounds have tens of thousands.
    base = pd.DataFrame.from_records(dossiers, columns=_DOSSIER_COLUMNS)
    direction_caps = {d: cap for d, cap in {(r[3], r[13]) for r in dossiers} if cap}
    config = ConsolidationConfig(
        method=method,
        trim_min_experts=trim_min,
        normalise=normalise,
        deviation_percent=deviation_percent,
        deviation_sd=deviation_sd,
        weights={s.key: s.weight for s in rubric.stages},
        total=rubric.total,
        rubric_hash=rubric.content_hash,
    )
    # Stage maxima depend on the applicant's kind, bonus points on a few facts: each
    # distinct case is computed once, not once per dossier.
    sheets, misplaced = _sheet_points(
        versions, rubric, base["id"].to_numpy(dtype=np.int64), base["kind"].tolist()
    )
    bonus_cache: dict[tuple[Any, ...], float] = {}
    for facts in {row[8:12] for row in dossiers}:
        bonus_cache[facts] = rubric.bonus_for(dict(zip(_FACTS, facts, strict=True)))
    bonus = pd.Series(
        [bonus_cache[row[8:12]] for row in dossiers], index=base["id"].to_numpy(), dtype=float
    )
    vetoes = pd.DataFrame(veto_rows, columns=["dossier_id", "veto_id", "count"])
    try:
        result = consolidate_sheets(
            sheets,
            config,
            panels=panels,
            bonus=bonus,
            veto_counts=vetoes,
            veto_thresholds={v.id: v.threshold for v in rubric.vetoes},
        )
    except ConsolidationError as error:
        raise RankingError(tr(error.template, **error.values)) from error
    consolidated = result["dossiers"][["dossier_id", "score", "base", "bonus", "experts", "vetoed"]]
    frame = base.rename(columns={"id": "dossier_id"}).merge(
        consolidated, on="dossier_id", how="left"
    )
    verdict = frame["dossier_id"].map(verdicts)
    score = frame["score"].astype(float)
    vetoed = frame["vetoed"].fillna(False).astype(bool)
    passed = verdict.eq("passed") if verdicts else pd.Series(True, index=frame.index)
    # Bonus points come from the applicant's facts, scored or not.
    facts_bonus = frame["dossier_id"].map(bonus).astype(float)
    candidates = pd.DataFrame(
        {
            "dossier_id": frame["dossier_id"],
            "code": frame["code"],
            "applicant": frame["applicant"],
            "applicant_id": frame["lead_applicant_id"],
            "direction_id": frame["direction_id"],
            "direction": frame["direction"],
            "city": frame["city"],
            "requested_level": np.where(
                frame["requested_level"] == "provincial", "provincial", "municipal"
            ),
            "eligible": np.isfinite(score) & ~vetoed & passed,
            "unscored": ~np.isfinite(score) & ~vetoed & passed,
            "vetoed": vetoed,
            "verdict": verdict.astype(object).where(verdict.notna(), None),
            "score": score,
            "base": frame["base"].astype(float),
            "bonus": frame["bonus"].astype(float).fillna(facts_bonus).fillna(0.0),
            "experts": frame["experts"].fillna(0).astype(int),
            "double_high_rank": frame["double_high"].map(DOUBLE_HIGH_RANK).fillna(0).astype(int),
            "tech_transfer": frame["major_tech_transfer"].astype(bool).astype(int),
        }
    )
    rules = AllocationRules(
        provincial_target=target if target is not None else info_target,
        direction_cap=cap if cap is not None else info_cap,
        direction_caps=direction_caps,
        min_score=min_score,
        tie_breaks=["double_high_rank", "tech_transfer"],
    )
    ranked = candidates.copy()
    ranked["score"] = ranked["score"].fillna(-1.0)
    try:
        allocation = allocate(
            ranked,
            rules,
            direction_names=dict(
                zip(
                    candidates["direction_id"].tolist(),
                    candidates["direction"].tolist(),
                    strict=False,
                )
            ),
        ).rename(columns={"reason": "reason_record"})
    except AllocationInputError as error:
        raise RankingError(tr(error.template, **error.values)) from error
    table = allocation.merge(candidates, on="dossier_id", how="left")
    # The text is for showing only; what is kept and hashed is the record.
    # Most records are one object shared by many candidates: each is rendered once.
    records = table["reason_record"].tolist()
    texts = {id(record): render(record) for record in {id(r): r for r in records}.values()}
    table["reason"] = [texts[id(record)] for record in records]
    if resamples > 0 and len(result["experts"]):
        steady = stability(
            result["experts"][["dossier_id", "expert_id", "total"]],
            ranked,
            rules,
            resamples=resamples,
            seed=seed,
            bonus=bonus,
        ).probabilities
        table = table.merge(steady, on="dossier_id", how="left")
        # Fragility matters for the candidates that are selected (or contested).
        table["fragile"] = table["fragile"].fillna(False).astype(bool) & table["tier"].isin(
            ["provincial", "tied"]
        )
    else:
        table["p_provincial"], table["loo_provincial"], table["fragile"] = np.nan, None, False
    flags = result["experts"]
    flagged = flags[flags["flagged"]].copy()
    flagged["explained"] = [
        (d, e) in notes for d, e in zip(flagged["dossier_id"], flagged["expert_id"], strict=True)
    ]
    flagged["expert"] = flagged["expert_id"].map(expert_names)
    codes = {row[0]: row[1] for row in dossiers}
    flagged["code"] = flagged["dossier_id"].map(codes)
    flagged["note"] = [
        notes.get((d, e), "")
        for d, e in zip(flagged["dossier_id"], flagged["expert_id"], strict=True)
    ]
    count = flagged.groupby("dossier_id").size()
    table["flags"] = table["dossier_id"].map(count).fillna(0).astype(int)
    adjusted = table["dossier_id"].map({i: a.to_tier for i, a in adjustments.items()})
    table["adjusted_tier"] = adjusted.astype(object).where(adjusted.notna(), table["tier"])
    reasons = table["dossier_id"].map({i: a.reason for i, a in adjustments.items()})
    table["adjustment_reason"] = reasons.astype(object).where(reasons.notna(), "")
    leniency = result["leniency"]
    leniency["expert"] = leniency["expert_id"].map(expert_names)
    full_config = {
        **config.as_dict(),
        "provincial_target": rules.provincial_target,
        "direction_cap": rules.direction_cap,
        "direction_caps": direction_caps,
        "min_score": min_score,
        "tie_breaks": rules.tie_breaks,
        "stability": {"resamples": resamples, "seed": seed},
    }
    outcome = RankResult(
        full_config,
        table,
        flagged,
        leniency,
        _reliability(flags, panels, expert_names, codes),
        None,
        flags.assign(expert=flags["expert_id"].map(expert_names)),
        non_applicable_scores(project, rubric, misplaced),
    )
    if final is not None:
        # Scores or decisions recorded after finalising would make today's list differ
        # from the locked one: say so rather than show it as final.
        locked = {row["dossier_id"]: row for row in final.rows}
        now = {row["dossier_id"]: row for row in final_rows(table)}
        changed = sorted(
            (now.get(key) or locked[key])["code"]
            for key in locked.keys() | now.keys()
            if key not in locked
            or key not in now
            or now[key]["tier"] != locked[key]["tier"]
            or now[key]["adjusted_tier"] != locked[key]["adjusted_tier"]
            or not _same_score(now[key]["score"], locked[key]["score"])
        )
        outcome.finalised = {
            "content_hash": final.content_hash,
            "finalised_at": final.finalised_at.isoformat(),
            "finalised_by": final.finalised_by,
            "changed_since": changed,
        }
    return outcome


def _same_score(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-9


def _reliability(
    flags: pd.DataFrame,
    panels: dict[int, int],
    expert_names: dict[int, str],
    codes: dict[int, str],
) -> list[dict[str, Any]]:
    """ICC and Kendall's W per panel on its largest complete block (docs/ranking.md,
    *Reliability*): the most dossiers x experts such that every expert of the block
    scored every dossier of it, with at least 3 dossiers and 2 experts."""
    result = []
    panel_of = flags["expert_id"].map(panels)
    known = panel_of.notna().to_numpy()
    panel = panel_of.to_numpy()[known].astype(np.int64)
    dossier = flags["dossier_id"].to_numpy()[known].astype(np.int64)
    expert = flags["expert_id"].to_numpy()[known].astype(np.int64)
    total = flags["total"].to_numpy(dtype=float)[known]
    order = np.lexsort((expert, dossier, panel))
    panel, dossier, expert, total = panel[order], dossier[order], expert[order], total[order]
    edges = np.flatnonzero(np.diff(panel)) + 1
    # One panel at a time with numpy (a national round has hundreds of panels).
    for rows in np.split(np.arange(len(panel)), edges) if len(panel) else []:
        # Both axes sorted by id, so ties between blocks go to the smallest ids.
        row_ids, row = np.unique(dossier[rows], return_inverse=True)
        column_ids, column = np.unique(expert[rows], return_inverse=True)
        values = np.full((len(row_ids), len(column_ids)), np.nan)
        values[row, column] = total[rows]
        found = largest_complete_block(values, min_targets=3, min_raters=2)
        entry: dict[str, Any] = {
            "panel": int(panel[rows[0]]),
            "dossiers": 0,
            "experts": 0,
            "icc": None,
            "kendall_w": None,
            "cells": 0,
            "dossier_ids": [],
            "dossier_codes": [],
            "expert_ids": [],
            "expert_names": [],
            "exact": found.exact if found else True,
        }
        if found is not None:
            dossier_ids = [int(row_ids[i]) for i in found.targets]
            expert_ids = [int(column_ids[j]) for j in found.raters]
            block = values[np.ix_(found.targets, found.raters)]
            entry.update(
                dossiers=len(dossier_ids),
                experts=len(expert_ids),
                icc=icc(block),
                kendall_w=kendall_w(block),
                cells=found.cells,
                dossier_ids=dossier_ids,
                dossier_codes=[codes.get(d, str(d)) for d in dossier_ids],
                expert_ids=expert_ids,
                expert_names=[expert_names.get(e, str(e)) for e in expert_ids],
            )
        result.append(entry)
    return result


def reliability_reading(entry: dict[str, Any]) -> str:
    """A plain-language reading of a panel's reliability."""
    if not entry.get("icc"):
        return _("too few dossiers scored by all members to judge")
    value = entry["icc"]["ICC(2,k)"]
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
        w=entry["kendall_w"],
    )


FINAL_COLUMNS = (
    "dossier_id",
    "code",
    "applicant",
    "direction",
    "score",
    "rank",
    "tier",
    "adjusted_tier",
    "adjustment_reason",
    "reason",
)


def final_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows a finalised list keeps, as plain JSON values (NaN as null); each reason
    as its record (code and parameters), never as text in some language."""
    frame = table.assign(reason=table["reason_record"])[list(FINAL_COLUMNS)]
    rows = [
        {
            k: (
                encode(v)
                if isinstance(v, Reason)
                else None
                if isinstance(v, float) and not np.isfinite(v)
                else v
            )
            for k, v in r.items()
        }
        for r in frame.astype(object).to_dict("records")
    ]
    result: list[dict[str, Any]] = json.loads(json.dumps(rows, ensure_ascii=False, default=str))
    return result
