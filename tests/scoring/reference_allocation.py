"""The allocation's core loop as it was before its sorting, ranking and tail were
vectorised: the reference ``scoring_models.allocation._core`` must agree with
(tests/scoring/test_allocation_core.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from scoring_models.allocation import (
    INELIGIBLE,
    MUNICIPAL,
    NOT_RECOMMENDED,
    PROVINCIAL,
    TIED,
    AllocationRules,
)
from scoring_models.reasons import AllocationReason, Reason


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
