"""The sheets of the results workbook, each as a title, its columns and its rows, built
from the ranking and the project's records. ``workbook.py`` writes them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from review_desk import defense, formal_review, reference
from review_desk.domain import ApplicantKind, Level, Tier
from review_desk.formal_review import verdict_label
from review_desk.i18n import _, tr
from review_desk.ranking import RankResult, reliability_reading, tier_label
from review_desk.results.criterion_scores import SheetScores
from review_desk.results.xlsx_tables import (
    DATETIME_FORMAT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    TIER_FILLS,
    Column,
)
from scoring_models.rubric import Rubric

# Widths (in Excel's units) of the columns of names, beyond which they wrap: a page of
# A4 landscape holds about 100.
NAME_WIDTH = 20
PLATFORM_WIDTH = 24
DIRECTION_WIDTH = 16


@dataclass
class Sheet:
    """One table of the workbook. ``rows`` is a list for the short tables and a
    generator for those as long as a national round (read once, as they are
    written)."""

    title: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
    print_title: str = ""
    freeze_columns: int = 0


def sheet_titles() -> list[str]:
    """The workbook's sheet names, in order (as the user's language names them)."""
    return [
        _("Recommended list (provincial)"),
        _("Ranking by direction"),
        _("Municipal recommendations"),
        _("Score summary"),
        _("Scores by criterion"),
        _("Deviation flags"),
        _("Formal review"),
        _("Defense and inspection records"),
        _("Reliability analysis"),
        _("Committee adjustments"),
        _("Parameters and notes"),
    ]


def actor_label(actor: str) -> str:
    """Who decided, as a document names them: a role the app records by its code (the
    committee's decisions are recorded as "committee") in the user's language; a
    person's or a body's name as it was entered."""
    return {
        "committee": _("The inter-departmental joint meeting"),
        "agency": _("Third-party agency"),
        "expert": _("Expert"),
    }.get(actor, actor)


def _rows(frame: pd.DataFrame) -> list[Any]:
    """The frame's rows as named tuples, typed loosely: pandas types each field as the
    union of every scalar type, which no call accepts."""
    return list(frame.itertuples(index=False))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _score_key(frame: pd.DataFrame) -> pd.DataFrame:
    """In list order: ranked candidates by their rank (which applies the tie-breaks
    between equal scores), then the unranked (ineligible) by score; no score last."""
    rank = frame["rank"] if "rank" in frame else pd.Series(np.nan, index=frame.index)
    return frame.assign(
        _r=rank.astype(float).fillna(np.inf), _s=frame["score"].astype(float).fillna(-np.inf)
    ).sort_values(["_r", "_s", "code"], ascending=[True, False, True], kind="stable")


def expert_labels(totals: pd.DataFrame) -> dict[int, str]:
    """Each expert's name as the sheets show it; two experts of the same name are told
    apart by their id."""
    if totals.empty:
        return {}
    pairs = totals[["expert_id", "expert"]].drop_duplicates().sort_values("expert_id")
    names = [str(n) for n in pairs["expert"]]
    return {
        int(e): f"{n}（{int(e)}）" if names.count(n) > 1 else n
        for e, n in zip(pairs["expert_id"], names, strict=True)
    }


def provincial_list(table: pd.DataFrame, platforms: dict[int, str]) -> Sheet:
    """推荐名单（省级）: the candidates the (adjusted) list makes provincial bases."""
    chosen = _score_key(table[table["adjusted_tier"] == Tier.PROVINCIAL])
    rows = []
    for number, r in enumerate(_rows(chosen), start=1):
        rows.append(
            [
                number,
                r.code,
                r.applicant,
                platforms.get(int(r.dossier_id), ""),
                f"{int(r.direction_id):02d} {r.direction}",
                r.city,
                _number(r.score),
                int(r.rank) if pd.notna(r.rank) else None,
                tier_label(r.tier),
                tier_label(r.adjusted_tier),
                r.adjustment_reason or "",
                _number(r.p_provincial),
            ]
        )
    columns = [
        Column(_("No."), min_width=6),
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Platform name"), max_width=PLATFORM_WIDTH, wrap=True),
        Column(_("Direction"), max_width=DIRECTION_WIDTH, wrap=True),
        Column(_("City")),
        Column(_("Overall score"), SCORE_FORMAT),
        Column(_("Overall rank")),
        Column(_("Computed tier"), fill=_tier_code(8)),
        Column(_("Committee's tier"), fill=_tier_code(9)),
        Column(_("Adjustment reason"), max_width=30, wrap=True),
        Column(_("Selection probability"), PERCENT_FORMAT),
    ]
    return Sheet(_("Recommended list (provincial)"), columns, rows, freeze_columns=3)


def _tier_code(index: int) -> Any:
    """A fill rule for a column holding tier labels: colour by the label's tier."""
    codes = {tier_label(code): code for code in TIER_FILLS}
    return lambda row: TIER_FILLS.get(codes.get(row[index], ""))


def direction_ranking(table: pd.DataFrame) -> Sheet:
    """分方向排名: every dossier, by direction, best first within each."""
    ordered = _score_key(table).sort_values("direction_id", kind="stable")

    def rows() -> Iterator[list[Any]]:
        place: dict[int, int] = {}
        for r in _rows(ordered):
            direction = int(r.direction_id)
            ranked = pd.notna(r.rank)
            if ranked:
                place[direction] = place.get(direction, 0) + 1
            yield [
                direction,
                r.direction,
                place[direction] if ranked else None,
                r.code,
                r.applicant,
                r.city,
                Level(r.requested_level).label,
                _number(r.score),
                int(r.rank) if pd.notna(r.rank) else None,
                tier_label(r.tier),
                tier_label(r.adjusted_tier),
                r.reason or "",
            ]

    columns = [
        Column(_("Direction no.")),
        Column(_("Direction"), max_width=DIRECTION_WIDTH, wrap=True),
        Column(_("Place in direction")),
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("City")),
        Column(_("Requested level")),
        Column(_("Overall score"), SCORE_FORMAT),
        Column(_("Overall rank")),
        Column(_("Computed tier")),
        # One coloured tier column per row: this sheet has every dossier of a round.
        Column(_("Committee's tier"), fill=_tier_code(10)),
        Column(_("Explanation"), max_width=26, wrap=True),
    ]
    return Sheet(_("Ranking by direction"), columns, rows(), freeze_columns=4)


def municipal_list(table: pd.DataFrame, platforms: dict[int, str]) -> Sheet:
    """市级推荐: the municipal/county candidates, grouped by city (the notice's order)."""
    order = {city.name: i for i, city in enumerate(reference.cities())}
    chosen = _score_key(table[table["adjusted_tier"] == Tier.MUNICIPAL])
    chosen = chosen.assign(_c=chosen["city"].map(order).fillna(len(order))).sort_values(
        ["_c", "city"], kind="stable"
    )

    def rows() -> Iterator[list[Any]]:
        place: dict[str, int] = {}
        for r in _rows(chosen):
            place[r.city] = place.get(r.city, 0) + 1
            yield [
                r.city,
                place[r.city],
                r.code,
                r.applicant,
                platforms.get(int(r.dossier_id), ""),
                f"{int(r.direction_id):02d} {r.direction}",
                _number(r.score),
                int(r.rank) if pd.notna(r.rank) else None,
                r.adjustment_reason or r.reason or "",
            ]

    columns = [
        Column(_("City")),
        Column(_("No. in city")),
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Platform name"), max_width=PLATFORM_WIDTH, wrap=True),
        Column(_("Direction"), max_width=DIRECTION_WIDTH, wrap=True),
        Column(_("Overall score"), SCORE_FORMAT),
        Column(_("Overall rank")),
        Column(_("Explanation"), max_width=40, wrap=True),
    ]
    return Sheet(_("Municipal recommendations"), columns, rows(), freeze_columns=3)


def _by_dossier(totals: pd.DataFrame) -> dict[int, tuple[list[int], list[float]]]:
    """Each dossier's experts and their totals, in the order of ``totals``."""
    if totals.empty:
        return {}
    order = np.argsort(totals["dossier_id"].to_numpy(), kind="stable")
    dossiers = totals["dossier_id"].to_numpy()[order]
    experts = totals["expert_id"].to_numpy()[order].tolist()
    points = totals["total"].to_numpy(dtype=float)[order].tolist()
    starts = np.flatnonzero(np.r_[True, dossiers[1:] != dossiers[:-1]]).tolist()
    ends = [*starts[1:], len(order)]
    return {
        int(dossiers[a]): (experts[a:b], points[a:b]) for a, b in zip(starts, ends, strict=True)
    }


def score_summary(result: RankResult) -> Sheet:
    """评分汇总: per dossier each of its experts (name and weighted total, in slots
    专家1…专家k, k the most experts any dossier has), the highest, lowest and spread, the
    consolidated score, flags. Slots, not a column per expert: a national round has
    thousands of experts, each of whom scored a few dozen of the dossiers."""
    totals = result.totals
    labels = expert_labels(totals)
    by_dossier = _by_dossier(totals)
    slots = max((len(experts) for experts, _points in by_dossier.values()), default=0)
    ordered = _score_key(result.table)

    def rows() -> Iterator[list[Any]]:
        for r in _rows(ordered):
            part = by_dossier.get(int(r.dossier_id))
            cells: list[Any] = [None] * (2 * slots)
            high = low = spread = None
            if part is not None:
                experts, points = part
                for i, (eid, total) in enumerate(zip(experts, points, strict=True)):
                    cells[2 * i] = labels.get(int(eid), str(eid))
                    cells[2 * i + 1] = _number(total)
                known = [p for p in points if p == p]  # the max and min skip NaN
                high, low = (max(known), min(known)) if known else (math.nan, math.nan)
                spread = high - low
            yield [
                r.code,
                r.applicant,
                f"{int(r.direction_id):02d} {r.direction}",
                int(r.experts),
                *cells,
                high,
                low,
                spread,
                _number(r.base),
                _number(r.bonus),
                _number(r.score),
                int(r.flags),
                _("yes") if r.vetoed else "",
                tier_label(r.adjusted_tier),
            ]

    expert_columns = []
    for n in range(1, slots + 1):
        expert_columns += [
            Column(tr("Expert {n}", n=n), max_width=12),
            Column(tr("Expert {n} total", n=n), SCORE_FORMAT),
        ]
    columns = [
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Direction"), max_width=DIRECTION_WIDTH, wrap=True),
        Column(_("Experts scoring")),
        *expert_columns,
        Column(_("Highest"), SCORE_FORMAT),
        Column(_("Lowest"), SCORE_FORMAT),
        Column(_("Spread"), SCORE_FORMAT),
        Column(_("Consolidated"), SCORE_FORMAT),
        Column(_("Bonus"), SCORE_FORMAT),
        Column(_("Overall score"), SCORE_FORMAT),
        Column(_("Deviation flags")),
        Column(_("Vetoed")),
        Column(_("Tier"), fill=_tier_code(4 + 2 * slots + 8)),
    ]
    return Sheet(_("Score summary"), columns, rows(), freeze_columns=2)


class _Weighted:
    """Each expert's weighted total of each dossier, looked up by the two ids: sorted
    arrays, not a dict of a national round's 250,000 pairs."""

    def __init__(self, totals: pd.DataFrame) -> None:
        dossiers = np.asarray(totals.get("dossier_id", []), dtype=np.int64)
        experts = np.asarray(totals.get("expert_id", []), dtype=np.int64)
        self._span = int(experts.max()) + 1 if len(experts) else 1
        keys = dossiers * self._span + experts
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._totals = np.asarray(totals.get("total", []), dtype=float)[order]

    def get(self, dossier_id: int, expert_id: int) -> float | None:
        if not 0 <= expert_id < self._span:
            return None
        key = dossier_id * self._span + expert_id
        at = int(np.searchsorted(self._keys, key))
        if at < len(self._keys) and self._keys[at] == key:
            return float(self._totals[at])
        return None


def criterion_detail(
    sheets: Iterable[SheetScores],
    rubrics: dict[str, Rubric],
    table: pd.DataFrame,
    result: RankResult,
) -> Sheet:
    """专家评分明细: every criterion score of every expert, a row per score sheet, in
    the order of ``sheets`` (by dossier code, then expert), read as they are written.
    ``rubrics`` are the versions the sheets were scored with, the active one first;
    the columns are their criteria (the active version's first). A stage's subtotal
    counts the criteria that apply to the kind of the dossier's lead applicant, as the
    ranking does: points given to one that does not apply are shown, never counted."""
    criteria: dict[str, Any] = {}
    stages: dict[str, str] = {}
    for version in rubrics.values():
        for criterion in version.criteria:
            criteria.setdefault(criterion.id, criterion)
        for step in version.stages:
            stages.setdefault(step.key, step.name)
    slot = {cid: i for i, cid in enumerate(criteria)}
    stage_slot = {key: i for i, key in enumerate(stages)}
    names = {
        int(d): (c, a)
        for d, c, a in zip(table["dossier_id"], table["code"], table["applicant"], strict=True)
    }
    labels = expert_labels(result.totals)
    weighted = _Weighted(result.totals)
    # Where each criterion of a rubric version goes for an applicant kind: its column,
    # and its stage's subtotal column (-1 when it does not apply: not counted).
    placements: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}

    def placement(rubric_hash: str, kind: str) -> dict[str, tuple[int, int]]:
        key = (rubric_hash, kind)
        if key not in placements:
            version = rubrics.get(rubric_hash)
            placements[key] = {
                c.id: (slot[c.id], stage_slot[c.stage] if c.applies(kind) else -1)
                for c in (version.criteria if version else [])
                if c.stage in stage_slot
            }
        return placements[key]

    def rows() -> Iterator[list[Any]]:
        # 7.5 million scores in a national round: the loop below is kept lean.
        isfinite, width, depth = math.isfinite, len(criteria), len(stages)
        for sheet in sheets:
            place = placement(sheet.rubric_hash, sheet.kind)
            values: list[Any] = [None] * width
            sums: list[Any] = [None] * depth
            for criterion, points in sheet.scores.items():
                where = place.get(criterion)
                if where is None or points is None:
                    continue
                if type(points) is not float:
                    points = float(points)
                if not isfinite(points):
                    continue
                column, stage = where
                values[column] = points
                if stage >= 0:
                    sums[stage] = (sums[stage] or 0.0) + points
            code, applicant = names.get(sheet.dossier_id, ("", ""))
            used = rubrics.get(sheet.rubric_hash)
            yield [
                code,
                applicant,
                labels.get(sheet.expert_id, str(sheet.expert_id)),
                sheet.submitted_at,
                used.version if used else sheet.rubric_hash[:12],
                *values,
                *sums,
                weighted.get(sheet.dossier_id, sheet.expert_id),
            ]

    columns = [
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Expert")),
        Column(_("Submitted"), DATETIME_FORMAT, min_width=17),
        Column(_("Rubric version")),
        *[
            Column(f"{c.id} {c.name}（{c.max:g}）", SCORE_FORMAT, min_width=8, max_width=12)
            for c in criteria.values()
        ],
        *[Column(tr("{stage} subtotal", stage=name), SCORE_FORMAT) for name in stages.values()],
        Column(_("Weighted total"), SCORE_FORMAT),
    ]
    return Sheet(_("Scores by criterion"), columns, rows(), freeze_columns=3)


def deviations(result: RankResult, table: pd.DataFrame) -> Sheet:
    """偏离预警: the flagged scores with their explanations."""
    names = dict(
        zip(table["dossier_id"], zip(table["code"], table["applicant"], strict=True), strict=True)
    )
    labels = expert_labels(result.totals)
    rows = []
    for r in _rows(result.experts.sort_values(["dossier_id", "expert_id"])):
        code, applicant = names.get(r.dossier_id, ("", ""))
        rows.append(
            [
                code,
                applicant,
                labels.get(int(r.expert_id), r.expert),
                _number(r.total),
                _number(r.mean_others),
                _number(r.gap_percent / 100.0),
                _("high") if r.direction == "high" else _("low"),
                _("yes") if r.explained else _("no"),
                r.note,
            ]
        )
    rows.sort(key=lambda row: row[0])  # stable: experts stay in id order
    columns = [
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Expert")),
        Column(_("Expert's total"), SCORE_FORMAT),
        Column(_("Others' mean"), SCORE_FORMAT),
        Column(_("Deviation"), PERCENT_FORMAT),
        Column(_("High or low")),
        Column(_("Explained"), fill=lambda row: None if row[7] == _("yes") else "FFC7CE"),
        Column(_("Explanation"), max_width=40, wrap=True),
    ]
    return Sheet(_("Deviation flags"), columns, rows, freeze_columns=2)


def formal_reviews(reviews: Iterable[formal_review.ReviewRow]) -> Sheet:
    """形式审查: the verdict of every dossier with the reviewing department and reasons
    (rows made as ``reviews`` yields them)."""
    fills = {
        verdict_label("passed"): "C6EFCE",
        verdict_label("failed"): "FFC7CE",
        verdict_label("supplement"): "FFEB9C",
        verdict_label(None): "DDEBF7",
    }
    rows = (
        [
            r.code,
            r.applicant,
            ApplicantKind(r.applicant_kind).label if r.applicant_kind != "unknown" else "",
            f"{r.direction_number:02d} {r.direction}",
            Level(r.level).label,
            r.department,
            verdict_label(r.verdict),
            r.supplement_deadline,
            "\n".join(r.reasons),
        ]
        for r in reviews
    )
    columns = [
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Kind")),
        Column(_("Direction"), max_width=DIRECTION_WIDTH, wrap=True),
        Column(_("Level")),
        Column(_("Reviewing department"), max_width=20, wrap=True),
        Column(_("Verdict"), fill=lambda row: fills.get(row[6])),
        Column(_("Supplement by"), DATETIME_FORMAT, min_width=17),
        Column(_("Reasons"), max_width=40, wrap=True),
    ]
    return Sheet(_("Formal review"), columns, rows, freeze_columns=2)


def defense_records(
    sessions: list[defense.SessionRow],
    inspections: list[defense.InspectionRow],
    notes: Sequence[defense.ExpertNoteRow] = (),
) -> Sheet:
    """答辩与考察记录: each dossier's defense record, then each inspection, then each
    expert's own notes from their return packages (named by the expert)."""
    rows: list[Sequence[Any]] = []
    for session in sessions:
        where = session.room or " ".join(p for p in (session.platform, session.meeting_id) if p)
        for record in session.records:
            questions = "\n".join(q.line() for q in record.questions)
            rows.append(
                [
                    _("Defense"),
                    record.code,
                    record.applicant,
                    session.starts_at,
                    f"{session.name}（{where}）" if where else session.name,
                    record.attendees,
                    record.presentation_minutes,
                    questions,
                    record.notes,
                ]
            )
    for item in inspections:
        if item.id is None:
            continue
        rows.append(
            [
                _("Inspection"),
                item.code,
                item.applicant,
                item.inspected_at,
                item.site,
                item.shown,
                None,
                item.findings,
                item.notes,
            ]
        )
    for note in notes:
        label = _("Defense") if note.kind == "defense" else _("Inspection")
        rows.append(
            [
                tr("{record} (expert {name})", record=label, name=note.expert),
                note.code,
                note.applicant,
                note.at,
                note.site,
                note.attendees_or_shown,
                note.presentation_minutes,
                note.questions_or_findings,
                note.notes,
            ]
        )
    columns = [
        Column(_("Record")),
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("Time"), DATETIME_FORMAT, min_width=17),
        Column(_("Session or site"), max_width=24, wrap=True),
        Column(_("Attendees or what was shown"), max_width=28, wrap=True),
        Column(_("Presentation (min)"), "0.0"),
        Column(_("Questions and answers or findings"), max_width=48, wrap=True),
        Column(_("Notes"), max_width=30, wrap=True),
    ]
    return Sheet(_("Defense and inspection records"), columns, rows, freeze_columns=3)


def reliability(result: RankResult, panel_names: dict[int, str]) -> Sheet:
    """信度分析: ICC and Kendall's W per panel on its largest complete block (its size,
    experts and dossiers shown), with a plain reading."""
    keys = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
    rows = []
    for entry in result.reliability:
        icc = entry.icc or {}
        rows.append(
            [
                panel_names.get(entry.panel, str(entry.panel)),
                entry.dossiers,
                entry.experts,
                "、".join(entry.expert_names),
                "、".join(entry.dossier_codes),
                *[_number(icc.get(k)) for k in keys],
                _number(entry.kendall_w),
                reliability_reading(entry),
            ]
        )
    columns = [
        Column(_("Panel")),
        Column(_("Dossiers in the block")),
        Column(_("Experts in the block")),
        Column(_("Block members"), max_width=30, wrap=True),
        Column(_("Block dossiers"), max_width=40, wrap=True),
        *[Column(k, "0.000") for k in keys],
        Column(_("Kendall's W"), "0.000"),
        Column(_("Reading"), max_width=50, wrap=True),
    ]
    return Sheet(_("Reliability analysis"), columns, rows, freeze_columns=1)


def adjustments(records: list[dict[str, Any]]) -> Sheet:
    """委员会调整记录: every adjustment the committee made, in order."""
    rows = [
        [
            r["decided_at"],
            r["code"],
            r["applicant"],
            tier_label(r["from_tier"]),
            tier_label(r["to_tier"]),
            r["reason"],
            actor_label(r["decided_by"]),
        ]
        for r in records
    ]
    columns = [
        Column(_("Time"), DATETIME_FORMAT, min_width=17),
        Column(_("Dossier no.")),
        Column(_("Lead applicant"), max_width=NAME_WIDTH, wrap=True),
        Column(_("From tier")),
        Column(_("To tier"), fill=_tier_code(4)),
        Column(_("Reason"), max_width=40, wrap=True),
        Column(_("Decided by")),
    ]
    return Sheet(_("Committee adjustments"), columns, rows, freeze_columns=0)


def parameters(items: list[tuple[str, Any]]) -> Sheet:
    """参数与说明: how the list was computed and how to check it."""
    columns = [
        Column(_("Parameter or note"), max_width=30, wrap=True),
        Column(_("Content"), max_width=60, wrap=True),
    ]
    return Sheet(_("Parameters and notes"), columns, [list(item) for item in items])
