"""The steps of computing the ranked list, each a function that can be called alone:

1. :func:`read_inputs`: the project's queries, once, into a typed bundle
   (:class:`RankingInputs`); nothing after this step reads the database;
2. :func:`consolidate`: the experts' sheets into one score per dossier, with deviation
   flags and the candidates' columns the allocation reads;
3. :func:`allocate_tiers`: the tiers under the quotas, each with its reason;
4. :func:`analyse`: stability under resampling, the deviation flags with their
   explanations, leniency and each panel's reliability;
5. :func:`apply_adjustments`: the committee's decisions beside the computed tiers;
6. :func:`compare_with_final`: the locked list against today's.

``ranking.compute`` composes them. Everything stays column-wise (numpy and pandas): a
national round has tens of thousands of dossiers."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Executable, select, text
from sqlalchemy.orm import Session

from review_desk.domain import Tier, Verdict
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.project import Project
from review_desk.ranking_values import (
    FinalisedList,
    NonApplicableScore,
    PanelReliability,
    RankingConfig,
)
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

DOUBLE_HIGH_RANK = {"national": 2, "provincial": 1}

# What the ranking reads of each dossier, its lead applicant and its direction, in the
# order of the query in ``read_inputs``; the applicant's facts that give bonus points
# are ``FACTS``, columns 8 to 11.
DOSSIER_COLUMNS = (
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
FACTS = DOSSIER_COLUMNS[8:12]


class RankingError(UserError):
    """A ranking action that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Adjustment:
    """The committee's latest decision on a candidate's tier, with its reason."""

    to_tier: Tier
    reason: str


@dataclass(frozen=True)
class LockedList:
    """The latest finalised list as stored: who locked it when, and its rows (JSON
    records, see :func:`final_rows`)."""

    content_hash: str
    finalised_at: datetime
    finalised_by: str
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class RankingInputs:
    """Everything the ranking reads of a project, as plain values.

    ``dossiers`` are tuples in :data:`DOSSIER_COLUMNS` order; ``verdicts`` the formal
    review's verdict by dossier id (empty when no review was run: then every dossier
    passes); ``panels`` each expert's panel; ``vetoes`` (dossier id, veto id, number of
    submitted sheets that raised it); ``notes`` the deviation explanations by (dossier
    id, expert id); ``misplaced`` the sheets holding points for criteria that do not
    apply, whose points are ``non_applicable``."""

    rubric: Rubric
    versions: Sequence[sheet_totals.SheetTotals]
    dossiers: Sequence[tuple[Any, ...]]
    provincial_target: int
    direction_cap: int
    verdicts: Mapping[int, str | None] = field(default_factory=dict)
    panels: Mapping[int, int] = field(default_factory=dict)
    vetoes: Sequence[tuple[int, str, int]] = ()
    adjustments: Mapping[int, Adjustment] = field(default_factory=dict)
    notes: Mapping[tuple[int, int], str] = field(default_factory=dict)
    expert_names: Mapping[int, str] = field(default_factory=dict)
    final: LockedList | None = None
    non_applicable: Sequence[NonApplicableScore] = ()

    @property
    def direction_caps(self) -> dict[int, int]:
        """The directions' own provincial caps (those that have one)."""
        return {d: cap for d, cap in {(r[3], r[13]) for r in self.dossiers} if cap}

    @property
    def codes(self) -> dict[int, str]:
        """Each dossier's code by id."""
        return {row[0]: row[1] for row in self.dossiers}


def raw_rows(session: Session, statement: Executable) -> list[tuple[Any, ...]]:
    """Run a query that SQLAlchemy renders and binds for the database in use, and take
    the rows straight from the driver's cursor as plain tuples: Row objects would cost
    about a second per million rows, and pandas inspects them one by one."""
    result = session.connection().execute(statement)
    rows = list(result.cursor.fetchall()) if result.cursor is not None else []
    result.close()
    return rows


def non_applicable_scores(
    project: Project, rubric: Rubric | None = None, sheets: Collection[int] | None = None
) -> list[NonApplicableScore]:
    """Points on submitted sheets for criteria that do not apply to the dossier's
    applicant kind (or are not in the sheet's rubric): never counted, reported so the
    agency can correct them, ordered by dossier code, expert, criterion. ``rubric`` is
    the active one when the caller has it already; ``sheets`` limits the search to
    those sheets (those whose ``uncounted_scores`` are not 0)."""
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
                (str(c), str(e), str(k), float(p)) for c, e, k, p in raw_rows(session, statement)
            ]
    return [NonApplicableScore(c, e, k, p) for c, e, k, p in sorted(found)]


def read_inputs(project: Project, rubric: Rubric | None = None) -> RankingInputs:
    """Step 1, reading: every query the ranking needs, in one read transaction (plus
    the search for uncounted points), as plain rows, not ORM objects: a national round
    has tens of thousands of each. ``rubric`` is the active one when the caller has it
    already."""
    rubric = rubric or active_rubric(project)
    with project.reading() as session:
        versions = sheet_totals.read(session, {rubric.content_hash: rubric})
        info = session.scalars(select(m.ReviewProject)).one()
        dossiers = raw_rows(
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
        verdicts = dict(
            raw_rows(session, select(m.FormalReview.dossier_id, m.FormalReview.verdict))
        )
        panels = dict(raw_rows(session, select(m.PanelMember.expert_id, m.PanelMember.panel_id)))
        vetoes = [
            (int(d), str(v), int(n))
            for d, v, n in session.execute(
                text(
                    "SELECT sh.dossier_id, vf.veto_id, COUNT(*) FROM veto_flag vf "
                    "JOIN score_sheet sh ON vf.sheet_id = sh.id WHERE sh.status = 'submitted' "
                    "GROUP BY sh.dossier_id, vf.veto_id"
                )
            ).fetchall()
        ]
        # The latest decision on each dossier counts.
        adjustments = {
            int(d): Adjustment(Tier(t), r)
            for d, t, r in raw_rows(
                session,
                select(
                    m.CommitteeAdjustment.dossier_id,
                    m.CommitteeAdjustment.to_tier,
                    m.CommitteeAdjustment.reason,
                ).order_by(m.CommitteeAdjustment.id),
            )
        }
        notes = {
            (d, e): t
            for d, e, t in raw_rows(
                session,
                select(m.DeviationNote.dossier_id, m.DeviationNote.expert_id, m.DeviationNote.text),
            )
        }
        stored = session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()
        final = (
            LockedList(stored.content_hash, stored.finalised_at, stored.finalised_by, stored.rows)
            if stored is not None
            else None
        )
        expert_names = dict(raw_rows(session, select(m.Expert.id, m.Expert.name)))
        target, cap = info.provincial_target, info.per_direction_cap
    misplaced = [int(s) for v in versions for s in v.sheet_id[v.uncounted > 0].tolist()]
    return RankingInputs(
        rubric=rubric,
        versions=versions,
        dossiers=dossiers,
        provincial_target=target,
        direction_cap=cap,
        verdicts=verdicts,
        panels=panels,
        vetoes=vetoes,
        adjustments=adjustments,
        notes=notes,
        expert_names=expert_names,
        final=final,
        non_applicable=non_applicable_scores(project, rubric, misplaced),
    )


def sheet_points(
    versions: Sequence[sheet_totals.SheetTotals],
    rubric: Rubric,
    dossier_ids: np.ndarray,
    dossier_kinds: list[str],
) -> SheetPoints:
    """The submitted sheets of every rubric version as one array per column, on the
    active rubric's stages, with each dossier's stage maxima for its applicant's kind.

    An expert who has submitted sheets of one dossier under two rubric versions counts
    once, with the later sheet."""
    keys = tuple(stage.key for stage in rubric.stages)
    column = {key: i for i, key in enumerate(keys)}
    blocks = []
    for version in versions:
        block = np.full((len(version.sheet_id), len(keys)), np.nan)
        for i, stage in enumerate(version.stages):
            if stage in column:  # a stage the active rubric no longer has weighs nothing
                block[:, column[stage]] = version.points[:, i]
        blocks.append(block)
    if not versions:
        empty = np.zeros(0, np.int64)
        return SheetPoints(keys, empty, empty, np.zeros((0, len(keys))), np.zeros((0, len(keys))))
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
    return SheetPoints(keys, dossier[keep], expert[keep], points[keep], maxima)


def allocation_rules(config: RankingConfig) -> AllocationRules:
    """The allocation's rules from a ranking configuration."""
    return AllocationRules(
        provincial_target=config.provincial_target,
        direction_cap=config.direction_cap,
        direction_caps=dict(config.direction_caps),
        min_score=config.min_score,
        tie_breaks=list(config.tie_breaks),
    )


@dataclass(frozen=True)
class Consolidated:
    """Step 2's outcome. ``candidates`` has one row per dossier with what the
    allocation reads (``score`` NaN when unscored); ``experts`` every expert's weighted
    total per dossier with its deviation flag; ``leniency`` per expert; ``bonus`` each
    dossier's bonus points by dossier id."""

    candidates: pd.DataFrame
    experts: pd.DataFrame
    leniency: pd.DataFrame
    bonus: pd.Series

    @property
    def ranked(self) -> pd.DataFrame:
        """The candidates as the allocation takes them: unscored ones at -1."""
        ranked = self.candidates.copy()
        ranked["score"] = ranked["score"].fillna(-1.0)
        return ranked


def consolidate(inputs: RankingInputs, settings: ConsolidationConfig) -> Consolidated:
    """Step 2, consolidating: the sheets into one score per dossier (vetoes, bonus
    points and the formal review's verdict applied), with each expert's deviation."""
    rubric = inputs.rubric
    dossiers = inputs.dossiers
    # Column-wise (not a loop over dossiers): national rounds have tens of thousands.
    base = pd.DataFrame.from_records(list(dossiers), columns=DOSSIER_COLUMNS)
    # Stage maxima depend on the applicant's kind, bonus points on a few facts: each
    # distinct case is computed once, not once per dossier.
    sheets = sheet_points(
        inputs.versions, rubric, base["id"].to_numpy(dtype=np.int64), base["kind"].tolist()
    )
    bonus_cache: dict[tuple[Any, ...], float] = {}
    for facts in {row[8:12] for row in dossiers}:
        bonus_cache[facts] = rubric.bonus_for(dict(zip(FACTS, facts, strict=True)))
    bonus = pd.Series(
        [bonus_cache[row[8:12]] for row in dossiers], index=base["id"].to_numpy(), dtype=float
    )
    vetoes = pd.DataFrame(list(inputs.vetoes), columns=["dossier_id", "veto_id", "count"])
    try:
        result = consolidate_sheets(
            sheets,
            settings,
            panels=dict(inputs.panels),
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
    verdicts = inputs.verdicts
    verdict = frame["dossier_id"].map(verdicts)
    score = frame["score"].astype(float)
    vetoed = frame["vetoed"].fillna(False).astype(bool)
    passed = verdict.eq(Verdict.PASSED) if verdicts else pd.Series(True, index=frame.index)
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
    return Consolidated(candidates, result["experts"], result["leniency"], bonus)


def allocate_tiers(consolidated: Consolidated, config: RankingConfig) -> pd.DataFrame:
    """Step 3, allocating: each candidate's tier and rank under the quotas, with its
    reason as a record (``reason_record``) and as text in the current language
    (``reason``), beside the candidate's columns."""
    candidates = consolidated.candidates
    try:
        allocation = allocate(
            consolidated.ranked,
            allocation_rules(config),
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
    return table


@dataclass(frozen=True)
class Analysis:
    """Step 4's outcome: the table with stability (``p_provincial``,
    ``loo_provincial``, ``fragile``) and deviation counts (``flags``); the deviation
    flags with their explanations (``flagged``); every expert's total with names
    (``totals``); leniency; each panel's reliability."""

    table: pd.DataFrame
    flagged: pd.DataFrame
    totals: pd.DataFrame
    leniency: pd.DataFrame
    reliability: list[PanelReliability]


def analyse(
    inputs: RankingInputs,
    consolidated: Consolidated,
    table: pd.DataFrame,
    config: RankingConfig,
) -> Analysis:
    """Step 4, analysing: how stable each tier is under resampling the experts
    (``config.stability``; 0 resamples skips it), which scores deviate and whether they
    are explained, each expert's leniency and each panel's reliability."""
    experts = consolidated.experts
    resamples = config.stability.resamples
    table = table.copy()
    if resamples > 0 and len(experts):
        steady = stability(
            experts[["dossier_id", "expert_id", "total"]],
            consolidated.ranked,
            allocation_rules(config),
            resamples=resamples,
            seed=config.stability.seed,
            bonus=consolidated.bonus,
        ).probabilities
        table = table.merge(steady, on="dossier_id", how="left")
        # Fragility matters for the candidates that are selected (or contested).
        table["fragile"] = table["fragile"].fillna(False).astype(bool) & table["tier"].isin(
            [Tier.PROVINCIAL.value, Tier.TIED.value]
        )
    else:
        table["p_provincial"], table["loo_provincial"], table["fragile"] = np.nan, None, False
    notes, names, codes = inputs.notes, inputs.expert_names, inputs.codes
    flagged = experts[experts["flagged"]].copy()
    flagged["explained"] = [
        (d, e) in notes for d, e in zip(flagged["dossier_id"], flagged["expert_id"], strict=True)
    ]
    flagged["expert"] = flagged["expert_id"].map(names)
    flagged["code"] = flagged["dossier_id"].map(codes)
    flagged["note"] = [
        notes.get((d, e), "")
        for d, e in zip(flagged["dossier_id"], flagged["expert_id"], strict=True)
    ]
    count = flagged.groupby("dossier_id").size()
    table["flags"] = table["dossier_id"].map(count).fillna(0).astype(int)
    leniency = consolidated.leniency.copy()
    leniency["expert"] = leniency["expert_id"].map(names)
    return Analysis(
        table,
        flagged,
        experts.assign(expert=experts["expert_id"].map(names)),
        leniency,
        reliability(experts, inputs.panels, names, codes),
    )


def analyse_scores(inputs: RankingInputs, config: RankingConfig) -> tuple[Consolidated, Analysis]:
    """Steps 2 and 4 without allocating places: the consolidation, the deviation flags
    with their explanations, leniency and each panel's reliability, exactly as the ranked
    list has them (none of them depends on the allocation; the stability, which does, is
    skipped). A recognition round's analysis (it has no quotas), and the flags a
    deviation's explanation is checked against."""
    consolidated = consolidate(inputs, config.consolidation)
    unallocated = replace(config, stability=replace(config.stability, resamples=0))
    return consolidated, analyse(inputs, consolidated, consolidated.candidates, unallocated)


def apply_adjustments(table: pd.DataFrame, adjustments: Mapping[int, Adjustment]) -> pd.DataFrame:
    """Step 5: the committee's decisions beside the computed tiers (``adjusted_tier``,
    the computed tier where there is none, and ``adjustment_reason``)."""
    table = table.copy()
    adjusted = table["dossier_id"].map({i: a.to_tier.value for i, a in adjustments.items()})
    table["adjusted_tier"] = adjusted.astype(object).where(adjusted.notna(), table["tier"])
    reasons = table["dossier_id"].map({i: a.reason for i, a in adjustments.items()})
    table["adjustment_reason"] = reasons.astype(object).where(reasons.notna(), "")
    return table


def reliability(
    flags: pd.DataFrame,
    panels: Mapping[int, int],
    expert_names: Mapping[int, str],
    codes: Mapping[int, str],
) -> list[PanelReliability]:
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
        panel_id = int(panel[rows[0]])
        if found is None:
            result.append(PanelReliability(panel_id))
            continue
        dossier_ids = tuple(int(row_ids[i]) for i in found.targets)
        expert_ids = tuple(int(column_ids[j]) for j in found.raters)
        block = values[np.ix_(found.targets, found.raters)]
        result.append(
            PanelReliability(
                panel=panel_id,
                dossiers=len(dossier_ids),
                experts=len(expert_ids),
                icc=icc(block),
                kendall_w=kendall_w(block),
                cells=found.cells,
                dossier_ids=dossier_ids,
                dossier_codes=tuple(codes.get(d, str(d)) for d in dossier_ids),
                expert_ids=expert_ids,
                expert_names=tuple(expert_names.get(e, str(e)) for e in expert_ids),
                exact=found.exact,
            )
        )
    return result


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


def _same_score(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-9


def compare_with_final(table: pd.DataFrame, final: LockedList | None) -> FinalisedList | None:
    """Step 6, comparing: the locked list, with the codes of the candidates whose
    computed tier, adjusted tier or score differ today (scores or decisions recorded
    after finalising): None when the list was never finalised."""
    if final is None:
        return None
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
    return FinalisedList(
        final.content_hash, final.finalised_at, final.finalised_by, tuple(str(c) for c in changed)
    )
