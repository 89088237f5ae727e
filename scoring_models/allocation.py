"""Allocating provincial places under the quotas (遴选): at most ``direction_cap`` per
industry direction, optionally ``applicant_cap`` per applicant, about
``provincial_target`` in all; the rest municipal/county.

Candidates who requested the provincial level are taken in order of score, then of the
tie-break columns (higher is better); each is selected while its direction, its
applicant and the total all have room. A tie that no tie-break resolves is never broken
by name, id or input order: when tied candidates compete for fewer remaining places than
they are, all of them are ``tied``, the contested places are held for the committee, and
no lower-ranked candidate takes a place the tie contests.

A candidate that is not eligible only because nobody has scored it yet (an optional
boolean ``unscored`` column) is left out like an ineligible one but gets its own reason.

Every row gets a reason: a :class:`~scoring_models.reasons.Reason`, a code of
:class:`AllocationReason` with its parameters, never text. The application renders it in
the user's language when it shows it; the record itself (and the hash of a finalised
list) is the same in every language. A tie's reason names the tied candidates by their
``code`` column when the candidates have one (the dossier codes), else by ``dossier_id``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scoring_models.reasons import AllocationReason, Reason

PROVINCIAL, MUNICIPAL = "provincial", "municipal"
NOT_RECOMMENDED, INELIGIBLE, TIED = "not_recommended", "ineligible", "tied"


def _silent(code: AllocationReason, **values: Any) -> None:
    return None


def _record(code: AllocationReason, **values: Any) -> Reason:
    return Reason(code, values)


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
        keys, eligible, directions, applicants, levels, [""] * len(scores), rules, _silent, {}
    )[0]


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


def allocate(
    candidates: pd.DataFrame,
    rules: AllocationRules,
    direction_names: dict[Any, str] | None = None,
) -> pd.DataFrame:
    """Allocate the tiers; return one row per candidate (dossier_id, tier, rank, tied,
    reason), in rank order (ineligible last, then input order). ``reason`` holds
    :class:`Reason` records; ``direction_names`` name the directions in them."""
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

    labels = rows["code"] if "code" in rows.columns else rows["dossier_id"]
    unscored = (
        [bool(u) for u in rows["unscored"]] if "unscored" in rows.columns else [False] * len(rows)
    )
    tier, reason, tied, rank = _core(
        keys,
        eligible,
        direction_of,
        applicant_of,
        level_of,
        [str(label) for label in labels],
        rules,
        _record,
        names,
        unscored,
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
    labels: list[str],
    rules: AllocationRules,
    say: Callable[..., Reason | None],
    names: dict[Any, str],
    unscored: list[bool] | None = None,
) -> tuple[list[str], list[Reason | None], list[bool], list[int | None]]:
    """The allocation itself on plain lists (also used, reasons off, by the stability
    analysis's thousands of reruns). ``labels`` name the candidates in tie reasons."""
    n = len(keys)
    tier: list[str] = [""] * n
    reason: list[Reason | None] = [None] * n
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
            left_out = (
                AllocationReason.UNSCORED
                if unscored and unscored[i]
                else AllocationReason.INELIGIBLE
            )
            tier[i], reason[i] = INELIGIBLE, say(left_out)
        elif rules.min_score is not None and keys[i][0] < rules.min_score:
            tier[i] = NOT_RECOMMENDED
            reason[i] = say(AllocationReason.BELOW_MIN, score=keys[i][0], min=rules.min_score)
        elif level_of[i] != PROVINCIAL:
            tier[i], reason[i] = MUNICIPAL, say(AllocationReason.REQUESTED_MUNICIPAL)
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

    full_text = say(AllocationReason.TOTAL_FULL, target=rules.provincial_target)
    held_text = say(AllocationReason.HELD)
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
                reason[i] = say(AllocationReason.SELECTED, rank=rank[i], score=keys[i][0])
        else:
            # An exact tie for fewer places than tied candidates: hold what it contests.
            for i in feasible:
                tier[i], tied[i] = TIED, True
                others = tuple(sorted(labels[j] for j in feasible if j != i))
                reason[i] = say(AllocationReason.TIED, others=others, score=keys[i][0])
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
                reason[i] = say(
                    AllocationReason.DIRECTION_FULL,
                    direction=names.get(d, d),
                    cap=rules.cap_for(d),
                )
            elif why == "applicant":
                reason[i] = say(AllocationReason.APPLICANT_FULL, cap=rules.applicant_cap)
            elif why in ("held_direction", "held_applicant") or (why == "total" and total_held):
                reason[i] = say(AllocationReason.HELD)
            else:
                reason[i] = say(AllocationReason.TOTAL_FULL, target=rules.provincial_target)
    return tier, reason, tied, rank
