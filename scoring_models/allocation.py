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

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring_models.reasons import AllocationReason, Reason
from scoring_models.rubric import N_


class AllocationInputError(ValueError):
    """Candidates or rules the allocation cannot decide on. ``problem`` names what is
    wrong (a column, or ``rules``), ``rows`` the ``dossier_id`` of every offending row
    (empty for a rule), ``template`` and ``values`` the message for the application
    to translate."""

    def __init__(self, problem: str, ids: tuple[Any, ...], template: str, /, **values: Any) -> None:
        super().__init__(template.format(**values))
        self.problem, self.rows = problem, ids
        self.template, self.values = template, values


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
    check_input(rows, rules)
    columns = [rows["score"].astype(float).tolist()]
    columns += [rows[c].astype(float).tolist() for c in rules.tie_breaks]
    keys = list(zip(*columns, strict=True))
    eligible = [bool(e) for e in rows["eligible"].tolist()]
    direction_of = rows["direction_id"].tolist()
    applicant_of = rows["applicant_id"].tolist()
    level_of = rows["requested_level"].tolist()

    labels = rows["code"] if "code" in rows.columns else rows["dossier_id"]
    unscored = (
        [bool(u) for u in rows["unscored"].tolist()]
        if "unscored" in rows.columns
        else [False] * len(rows)
    )
    label_texts = [str(label) for label in labels.tolist()]
    tier, reason, tied, rank = _core(
        keys,
        eligible,
        direction_of,
        applicant_of,
        level_of,
        label_texts,
        rules,
        _record,
        names,
        unscored,
    )
    decided_by = _name_tie_breaks(
        keys, tier, reason, rank, direction_of, applicant_of, label_texts, rules
    )
    result = pd.DataFrame(
        {
            "dossier_id": rows["dossier_id"],
            "tier": tier,
            "rank": pd.array(rank, dtype="Int64"),
            "tied": tied,
            "reason": reason,
            "tie_break": pd.Series(decided_by, dtype=object),
        }
    )
    # Within a rank, by dossier id: the output never depends on the input order.
    ids = np.array([str(x) for x in rows["dossier_id"].tolist()])
    unranked = np.array([r is None for r in rank])
    ordering = np.lexsort((ids, np.array([r or 0 for r in rank]), unranked))
    return result.iloc[ordering].reset_index(drop=True)


def check_input(rows: pd.DataFrame, rules: AllocationRules) -> None:
    """Refuse candidates or rules the allocation cannot decide on, naming every
    offending row: a score or tie-break value that is not a finite number (NaN would
    sort anywhere, +inf before everyone), a missing direction (it would escape the
    direction cap), an eligibility that is not true or false (``"no"`` is truthy), and
    a target or cap below 1."""
    for name, value in (
        ("provincial_target", rules.provincial_target),
        ("direction_cap", rules.direction_cap),
    ):
        if not value >= 1:
            template = (
                N_("The number of provincial places must be at least 1 (not {value}).")
                if name == "provincial_target"
                else N_("The provincial places per direction must be at least 1 (not {value}).")
            )
            raise AllocationInputError("rules", (), template, value=value)
    for direction, value in rules.direction_caps.items():
        if not value >= 1:
            raise AllocationInputError(
                "rules",
                (),
                N_("The provincial cap of direction {direction} must be at least 1 (not {value})."),
                direction=direction,
                value=value,
            )
    if rules.applicant_cap is not None and not rules.applicant_cap >= 1:
        raise AllocationInputError(
            "rules",
            (),
            N_("The provincial places per applicant must be at least 1 (not {value})."),
            value=rules.applicant_cap,
        )
    if rules.min_score is not None and not np.isfinite(float(rules.min_score)):
        raise AllocationInputError(
            "rules",
            (),
            N_("The minimum score must be a finite number (not {value})."),
            value=rules.min_score,
        )
    labels = rows["code"] if "code" in rows.columns else rows["dossier_id"]

    def refuse(problem: str, bad: Any, template: str, **values: Any) -> None:
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            ids = tuple(v.item() if hasattr(v, "item") else v for v in rows["dossier_id"][bad])
            shown = ", ".join(str(label) for label in labels[bad])
            raise AllocationInputError(problem, ids, template, rows=shown, **values)

    for column in ("score", *rules.tie_breaks):
        numbers = pd.to_numeric(rows[column], errors="coerce").astype(float)
        template = (
            N_("The score of {rows} is not a finite number.")
            if column == "score"
            else N_("The tie-break {column} of {rows} is not a finite number.")
        )
        refuse(column, ~np.isfinite(numbers.to_numpy()), template, column=column)
    refuse("direction_id", rows["direction_id"].isna(), N_("{rows} have no industry direction."))
    for column in ("eligible", "unscored"):
        if column in rows.columns and rows[column].dtype != bool:
            truth = rows[column].map(lambda v: isinstance(v, (bool, np.bool_)))
            refuse(
                column,
                ~truth.astype(bool),
                N_("The column {column} of {rows} is not true or false."),
                column=column,
            )


def _name_tie_breaks(
    keys: list[tuple[float, ...]],
    tier: list[str],
    reason: list[Reason | None],
    rank: list[int | None],
    direction_of: list[Any],
    applicant_of: list[Any],
    labels: list[str],
    rules: AllocationRules,
) -> list[str | None]:
    """Where a tie-break column decided a place, say so: a candidate left municipal
    because an equal score took the direction's, the applicant's or the last place
    ahead of it by a tie-break gets ``tie_break_lost`` naming the column and those
    candidates; each of them gets ``tie_break_won``. Returns the deciding column per
    candidate (None where no tie-break decided)."""
    decided: list[str | None] = [None] * len(keys)
    if not rules.tie_breaks:
        return decided
    # Who is ahead: the selected, and the tied whose places are held (a tie above
    # decided by a tie-break column still took the place from the one behind it).
    winners: dict[float, list[int]] = {}
    for j, t in enumerate(tier):
        if t in (PROVINCIAL, TIED):
            winners.setdefault(keys[j][0], []).append(j)
    same_limit: dict[str, Callable[[int, int], bool]] = {
        AllocationReason.TOTAL_FULL: lambda i, j: True,
        AllocationReason.DIRECTION_FULL: lambda i, j: direction_of[i] == direction_of[j],
        AllocationReason.APPLICANT_FULL: lambda i, j: applicant_of[i] == applicant_of[j],
    }

    def deciding(a: int, b: int) -> str:
        k = next(k for k in range(1, len(keys[a])) if keys[a][k] != keys[b][k])
        return rules.tie_breaks[k - 1]

    beaten: dict[int, list[int]] = {}
    for i, t in enumerate(tier):
        found = reason[i]
        if t != MUNICIPAL or found is None or found.code not in same_limit:
            continue
        limit = same_limit[found.code]
        rivals = [j for j in winners.get(keys[i][0], []) if keys[j] > keys[i] and limit(i, j)]
        if not rivals:
            continue
        nearest = min(rivals, key=lambda j: keys[j])
        column = decided[i] = deciding(nearest, i)
        reason[i] = Reason(
            AllocationReason.TIE_BREAK_LOST,
            {
                "others": tuple(sorted(labels[j] for j in rivals)),
                "score": keys[i][0],
                "tie_break": column,
            },
        )
        for j in rivals:
            if tier[j] == PROVINCIAL:  # a tied one keeps its own reason
                beaten.setdefault(j, []).append(i)
    for j, losers in beaten.items():
        best = max(losers, key=lambda i: keys[i])
        column = decided[j] = deciding(j, best)
        reason[j] = Reason(
            AllocationReason.TIE_BREAK_WON,
            {
                "others": tuple(sorted(labels[i] for i in losers)),
                "rank": rank[j] or 0,
                "score": keys[j][0],
                "tie_break": column,
            },
        )
    return decided


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

    # The eligible by key, highest first; equal keys keep their input order (numpy's
    # lexsort is stable), as a stable sort of the keys in reverse would.
    table = np.asarray(keys, dtype=float).reshape(n, len(keys[0]) if n else 1)
    qualified = np.flatnonzero(np.asarray(eligible, dtype=bool))
    columns = table[qualified]
    order_array = qualified[
        np.lexsort(tuple(-columns[:, c] for c in reversed(range(table.shape[1]))))
    ]
    ranked = table[order_array]
    # Competition ranking: 1, 2, 2, 4.
    starts = np.ones(len(order_array), dtype=bool)
    starts[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    positions = np.arange(1, len(order_array) + 1)
    ranks = np.maximum.accumulate(np.where(starts, positions, 0)) if len(order_array) else positions
    order = order_array.tolist()
    for i, value in zip(order, ranks.tolist(), strict=True):
        rank[i] = value
    left_out = {
        True: say(AllocationReason.UNSCORED),
        False: say(AllocationReason.INELIGIBLE),
    }
    municipal_text = say(AllocationReason.REQUESTED_MUNICIPAL)
    for i in range(n):
        if not eligible[i]:
            tier[i], reason[i] = INELIGIBLE, left_out[bool(unscored and unscored[i])]
        elif rules.min_score is not None and keys[i][0] < rules.min_score:
            tier[i] = NOT_RECOMMENDED
            reason[i] = say(AllocationReason.BELOW_MIN, score=keys[i][0], min=rules.min_score)
        elif level_of[i] != PROVINCIAL:
            tier[i], reason[i] = MUNICIPAL, municipal_text
    open_positions = [p for p, i in enumerate(order) if not tier[i]]
    contenders = [order[p] for p in open_positions]
    direction_room: Counter[Any] = Counter()
    applicant_room: Counter[Any] = Counter()
    for d in {direction_of[i] for i in contenders}:
        direction_room[d] = rules.cap_for(d)
    if rules.applicant_cap is not None:
        for a in {applicant_of[i] for i in contenders}:
            applicant_room[a] = rules.applicant_cap
    remaining = rules.provincial_target
    held_directions: set[Any] = set()
    held_applicants: set[Any] = set()
    total_held = False
    # Runs of equal keys among the contenders.
    contender_keys = ranked[open_positions]
    boundaries = np.flatnonzero((contender_keys[1:] != contender_keys[:-1]).any(axis=1)) + 1
    edges = [0, *boundaries.tolist(), len(contenders)] if contenders else [0]
    groups = (contenders[a:b] for a, b in itertools.pairwise(edges))

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
    decided = 0
    for group in groups:
        if remaining <= 0:
            break
        decided += len(group)
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
    # Every place is given or held: the rest is municipal, for the reason the loop above
    # would give them (national lists have tens of thousands of them).
    rest = held_text if total_held else full_text
    for i in contenders[decided:]:
        tier[i], reason[i] = MUNICIPAL, rest
    return tier, reason, tied, rank
