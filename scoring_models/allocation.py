"""Allocating provincial places under the quotas (遴选): at most ``direction_cap`` per
industry direction, optionally ``applicant_cap`` per applicant, about
``provincial_target`` in all; the rest municipal/county.

Candidates who requested the provincial level are taken in order of score, then of the
tie-break columns (higher is better); each is selected while its direction, its
applicant and the total all have room. A tie that no tie-break resolves is never broken
by name, id or input order: when tied candidates compete for fewer remaining places than
they are, all of them are ``tied``, the contested places are held for the committee, and
no lower-ranked candidate takes a place the tie contests.

Every row gets a reason. Reasons are part of the list the committee signs, so they come
in Chinese by default (``REASONS_ZH``); pass ``translate`` for another language — the
templates are marked with ``N_`` and also in the application's catalog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scoring_models.rubric import N_

PROVINCIAL, MUNICIPAL = "provincial", "municipal"
NOT_RECOMMENDED, INELIGIBLE, TIED = "not_recommended", "ineligible", "tied"

R_SELECTED = N_("selected: ranked {rank} with {score}")
R_DIRECTION_FULL = N_(
    "direction {direction} already has its {cap} provincial places, taken by higher scores"
)
R_APPLICANT_FULL = N_("the applicant already has {cap} provincial places")
R_TOTAL_FULL = N_("the {target} provincial places are taken by higher scores")
R_TIED = N_("tied with {others} at {score} for the last contested place; the committee decides")
R_HELD = N_("the place a tie above contests is held for the committee")
R_REQUESTED_MUNICIPAL = N_("applied for the municipal/county level")
R_BELOW_MIN = N_("score {score} is below the minimum {min}")
R_INELIGIBLE = N_("not eligible (formal review or veto)")

REASONS_ZH = {
    R_SELECTED: "入选：综合排名第{rank}，得分{score}",
    R_DIRECTION_FULL: "{direction}方向已有{cap}个省级名额由得分更高的申报获得",
    R_APPLICANT_FULL: "该申报主体已获得{cap}个省级名额",
    R_TOTAL_FULL: "{target}个省级名额已由得分更高的申报获得",
    R_TIED: "与{others}同分（{score}），争夺剩余名额，由委员会决定",
    R_HELD: "上方同分申报所争夺的名额留待委员会决定",
    R_REQUESTED_MUNICIPAL: "申报市县级",
    R_BELOW_MIN: "得分{score}低于最低分{min}",
    R_INELIGIBLE: "不符合条件（形式审查未通过或被否决）",
}


def _silent(template: str, **values: Any) -> str:
    return ""


def tiers_only(
    scores: list[float],
    eligible: list[bool],
    directions: list[Any],
    applicants: list[Any],
    levels: list[str],
    rules: AllocationRules,
) -> list[str]:
    """The tiers alone, without reasons or a DataFrame: the fast path for reruns."""
    keys: list[tuple[float, ...]] = [(float(x),) for x in scores]
    return _core(
        keys, eligible, directions, applicants, levels, list(range(len(scores))), rules, _silent, {}
    )[0]


def chinese(template: str) -> str:
    """The default translation of the reason templates."""
    return REASONS_ZH.get(template, template)


@dataclass
class AllocationRules:
    """The quota rules of an allocation."""

    provincial_target: int = 10
    direction_cap: int = 2
    direction_caps: dict[Any, int] = field(default_factory=dict)
    applicant_cap: int | None = None
    min_score: float | None = None
    tie_breaks: list[str] = field(default_factory=list)

    def cap_for(self, direction: Any) -> int:
        """The provincial cap of a direction."""
        return int(self.direction_caps.get(direction, self.direction_cap))


REQUIRED = (
    "dossier_id",
    "applicant_id",
    "direction_id",
    "city",
    "requested_level",
    "eligible",
    "score",
)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def allocate(
    candidates: pd.DataFrame,
    rules: AllocationRules,
    translate: Callable[[str], str] = chinese,
    direction_names: dict[Any, str] | None = None,
) -> pd.DataFrame:
    """Allocate the tiers; return one row per candidate (dossier_id, tier, rank, tied,
    reason), in rank order (ineligible last, then input order)."""
    missing = [c for c in (*REQUIRED, *rules.tie_breaks) if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidate columns missing: {', '.join(missing)}")
    if candidates["dossier_id"].duplicated().any():
        raise ValueError("dossier_id must be unique")
    names = direction_names or {}
    rows = candidates.reset_index(drop=True)
    columns = [rows["score"].astype(float).tolist()]
    columns += [rows[c].astype(float).tolist() for c in rules.tie_breaks]
    keys = list(zip(*columns, strict=True))
    eligible = [bool(e) for e in rows["eligible"]]
    direction_of = rows["direction_id"].tolist()
    applicant_of = rows["applicant_id"].tolist()
    level_of = rows["requested_level"].tolist()

    def say_(template: str, **values: Any) -> str:
        return translate(template).format(**values)

    tier, reason, tied, rank = _core(
        keys,
        eligible,
        direction_of,
        applicant_of,
        level_of,
        rows["dossier_id"].tolist(),
        rules,
        say_,
        names,
    )
    result = pd.DataFrame(
        {
            "dossier_id": rows["dossier_id"],
            "tier": tier,
            "rank": pd.array(rank, dtype="Int64"),
            "tied": tied,
            "reason": reason,
        }
    )
    # Within a rank, by dossier id: the output never depends on the input order.
    ids = rows["dossier_id"].tolist()
    ordering = sorted(range(len(rows)), key=lambda i: (rank[i] is None, rank[i] or 0, str(ids[i])))
    return result.iloc[ordering].reset_index(drop=True)


def _core(
    keys: list[tuple[float, ...]],
    eligible: list[bool],
    direction_of: list[Any],
    applicant_of: list[Any],
    level_of: list[str],
    dossier_ids: list[Any],
    rules: AllocationRules,
    say: Callable[..., str],
    names: dict[Any, str],
) -> tuple[list[str], list[str], list[bool], list[int | None]]:
    """The allocation itself on plain lists (also used, reasons off, by the stability
    analysis's thousands of reruns)."""
    n = len(keys)
    tier: list[str] = [""] * n
    reason: list[str] = [""] * n
    tied = [False] * n
    rank: list[int | None] = [None] * n

    order = sorted((i for i in range(n) if eligible[i]), key=lambda i: keys[i], reverse=True)
    for position, i in enumerate(order):  # competition ranking: 1, 2, 2, 4
        previous = order[position - 1] if position else None
        rank[i] = (
            rank[previous] if previous is not None and keys[previous] == keys[i] else position + 1
        )
    for i in range(n):
        if not eligible[i]:
            tier[i], reason[i] = INELIGIBLE, say(R_INELIGIBLE)
        elif rules.min_score is not None and keys[i][0] < rules.min_score:
            tier[i] = NOT_RECOMMENDED
            reason[i] = say(R_BELOW_MIN, score=_fmt(keys[i][0]), min=_fmt(rules.min_score))
        elif level_of[i] != PROVINCIAL:
            tier[i], reason[i] = MUNICIPAL, say(R_REQUESTED_MUNICIPAL)
    contenders = [i for i in order if not tier[i]]
    direction_room: Counter[Any] = Counter()
    applicant_room: Counter[Any] = Counter()
    for i in contenders:
        direction_room[direction_of[i]] = rules.cap_for(direction_of[i])
        if rules.applicant_cap is not None:
            applicant_room[applicant_of[i]] = rules.applicant_cap
    remaining = rules.provincial_target
    held_directions: set[Any] = set()
    held_applicants: set[Any] = set()
    total_held = False
    groups: list[list[int]] = []
    for i in contenders:
        if groups and keys[groups[-1][0]] == keys[i]:
            groups[-1].append(i)
        else:
            groups.append([i])

    def room(i: int, remaining: int, total_held: bool) -> str | None:
        """Why candidate ``i`` cannot take a place now (None: it can)."""
        d, a = direction_of[i], applicant_of[i]
        if total_held or remaining <= 0:
            return "total"
        if direction_room[d] <= 0:
            return "held_direction" if d in held_directions else "direction"
        if rules.applicant_cap is not None and applicant_room[a] <= 0:
            return "held_applicant" if a in held_applicants else "applicant"
        return None

    full_text = say(R_TOTAL_FULL, target=rules.provincial_target)
    held_text = say(R_HELD)
    for group in groups:
        if remaining <= 0:
            # Every place is given or held: the rest is municipal, for the same reason
            # the general path below would give (a shortcut for national-size lists).
            for i in group:
                tier[i], reason[i] = MUNICIPAL, held_text if total_held else full_text
            continue
        blocked = {i: room(i, remaining, total_held) for i in group}
        feasible = [i for i in group if blocked[i] is None]
        demand_d = Counter(direction_of[i] for i in feasible)
        demand_a = Counter(applicant_of[i] for i in feasible)
        fits = (
            len(feasible) <= remaining
            and all(demand_d[d] <= direction_room[d] for d in demand_d)
            and (
                rules.applicant_cap is None
                or all(demand_a[a] <= applicant_room[a] for a in demand_a)
            )
        )
        if fits:
            for i in feasible:
                tier[i] = PROVINCIAL
                direction_room[direction_of[i]] -= 1
                if rules.applicant_cap is not None:
                    applicant_room[applicant_of[i]] -= 1
                remaining -= 1
                reason[i] = say(R_SELECTED, rank=rank[i], score=_fmt(keys[i][0]))
        else:
            # An exact tie for fewer places than tied candidates: hold what it contests.
            for i in feasible:
                tier[i], tied[i] = TIED, True
                others = "、".join(sorted(str(dossier_ids[j]) for j in feasible if j != i))
                reason[i] = say(R_TIED, others=others, score=_fmt(keys[i][0]))
            possible = 0
            for d, n in demand_d.items():
                possible += min(n, direction_room[d])
                if n > direction_room[d]:
                    held_directions.add(d)
                direction_room[d] -= min(n, direction_room[d])
            if rules.applicant_cap is not None:
                for a, n in demand_a.items():
                    if n > applicant_room[a]:
                        held_applicants.add(a)
                    applicant_room[a] -= min(n, applicant_room[a])
            if len(feasible) > remaining or possible >= remaining:
                total_held = True
            remaining -= min(remaining, possible)
        for i in group:
            if tier[i]:
                continue
            tier[i] = MUNICIPAL
            why = blocked[i]
            d = direction_of[i]
            if why == "direction":
                reason[i] = say(R_DIRECTION_FULL, direction=names.get(d, d), cap=rules.cap_for(d))
            elif why == "applicant":
                reason[i] = say(R_APPLICANT_FULL, cap=rules.applicant_cap)
            elif why in ("held_direction", "held_applicant") or (why == "total" and total_held):
                reason[i] = say(R_HELD)
            else:
                reason[i] = say(R_TOTAL_FULL, target=rules.provincial_target)
    return tier, reason, tied, rank
