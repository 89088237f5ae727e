"""The randomized assignment of Jecmen et al. (NeurIPS 2020, "Mitigating manipulation in
peer review via randomized reviewer assignments"): the assignment problem of
:mod:`scoring_models.assignment` as a linear programme with every pair's value capped at
``q``, then one assignment drawn from its optimum by bipartite dependent rounding
(Gandhi et al., 2006), so that each pair is chosen with exactly its capped probability:
nobody is on a dossier with probability above ``q``.

Split from :mod:`scoring_models.assignment` (the exact assignment, whose programme,
groups and results it shares) to keep each module to one job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scoring_models.assignment import (
    _TOLERANCE,
    Assignment,
    AssignmentProblem,
    FloatArray,
    IntArray,
    _check_counts,
    _diagnose,
    _group,
    _Groups,
    _result,
    _solve,
    _spread,
)


@dataclass(frozen=True, eq=False)
class FractionalAssignment:
    """The capped programme's optimum: ``marginal[i]`` (at most ``q``) is the probability
    with which :func:`sample` assigns pair ``i``; ``cost`` is the expected total."""

    problem: AssignmentProblem
    q: float
    marginal: FloatArray
    cost: float
    groups: _Groups = field(repr=False)
    counts: FloatArray = field(repr=False)  # each group's values, on its first dossier's pairs


def fractional(problem: AssignmentProblem, q: float) -> FractionalAssignment:
    """Minimum expected cost with every pair's probability at most ``q`` (0 < q <= 1):
    the linear programme of Jecmen et al. Dossiers with the same candidates share their
    group's values evenly, which keeps the cost and every load."""
    if not 0 < q <= 1:
        raise ValueError("the cap q must lie in (0, 1]")
    _check_counts(problem, q)
    groups = _group(problem)
    counts = _solve(problem, groups, q)
    if counts is None:
        raise _diagnose(problem)
    # Every dossier of a group takes its group's counts divided by the group's size.
    first_pair = problem.dossier_start[groups.first[groups.of_dossier]]
    offset = np.arange(len(problem.pair_cost)) - problem.dossier_start[problem.pair_dossier]
    size = groups.size[groups.of_dossier[problem.pair_dossier]]
    marginal = np.clip(counts[first_pair[problem.pair_dossier] + offset] / size, 0.0, q)
    cost = float(marginal @ problem.pair_cost)
    return FractionalAssignment(problem, q, marginal, cost, groups, counts)


def sample(plan: FractionalAssignment, seed: int) -> Assignment:
    """An assignment drawn from the plan: each pair is chosen with probability
    ``plan.marginal``, every dossier gets exactly ``k`` experts and every expert the
    floor or the ceiling of its expected load. The same plan and seed give the same
    assignment.

    Each group's count of an expert, ``y`` (its dossiers in the group, in expectation),
    is rounded to ``floor(y)`` or ``ceil(y)`` with expectation ``y`` by bipartite
    dependent rounding (Gandhi et al., 2006) of the fractional parts on the graph of
    groups and experts: a group's total stays ``k n`` and an expert's total the floor or
    the ceiling of its own. The integral counts are then dealt out round-robin to the
    group's dossiers in a random order, so each of the ``n`` dossiers gets a given expert
    with probability ``y / n``, its marginal."""
    problem, groups, rng = plan.problem, plan.groups, np.random.default_rng(seed)
    columns = np.nonzero(plan.counts > 0)[0]
    values = plan.counts[columns]
    whole = np.floor(values + _TOLERANCE)
    part = np.clip(values - whole, 0.0, 1.0)
    group_of = groups.of_dossier[problem.pair_dossier[columns]]
    rounded = _dependent_rounding(part, group_of, problem.pair_expert[columns], rng)
    counts = np.zeros(len(problem.pair_cost))
    counts[columns] = whole + rounded
    chosen = _spread(problem, groups, counts, rng)
    result = _result(problem, chosen, marginal=plan.marginal, q=plan.q, seed=seed)
    per_dossier = np.bincount(problem.pair_dossier[chosen], minlength=len(problem.dossier_ids))
    if (per_dossier != problem.k).any():
        raise RuntimeError("dependent rounding lost a dossier's count")  # cannot happen
    return result


def _dependent_rounding(
    x: FloatArray, left: IntArray, right: IntArray, rng: np.random.Generator
) -> FloatArray:
    """Values in [0, 1] on the edges (left[i], right[i]) of a bipartite graph, rounded to
    0 or 1 so that each keeps its expectation and every node's sum moves to its floor or
    ceiling (an integral sum stays): while an edge is fractional, take a cycle or a
    maximal path of fractional edges, split it into alternate edges, and move the two
    halves by +a/-a with probability b/(a+b), else by -b/+b, where a and b are the
    largest steps that keep every value in [0, 1]."""
    x = x.copy()
    x[x < _TOLERANCE] = 0.0
    x[x > 1 - _TOLERANCE] = 1.0
    shift = int(left.max(initial=-1)) + 1
    ends: tuple[list[int], list[int]] = (left.tolist(), (right + shift).tolist())
    # Fractional edges at every node, as insertion-ordered dicts (deterministic order).
    at: dict[int, dict[int, None]] = {}
    for i in np.nonzero((x > 0) & (x < 1))[0].tolist():
        at.setdefault(ends[0][i], {})[i] = None
        at.setdefault(ends[1][i], {})[i] = None

    def other(edge: int, node: int) -> int:
        return ends[1][edge] if ends[0][edge] == node else ends[0][edge]

    while at:
        edges = _path_or_cycle(at, other)
        even, odd = edges[0::2], edges[1::2]
        up = float(min(np.min(1 - x[even]), np.min(x[odd], initial=1.0)))
        down = float(min(np.min(x[even]), np.min(1 - x[odd], initial=1.0)))
        step = up if rng.random() < down / (up + down) else -down
        x[even] += step
        x[odd] -= step
        for i in edges:
            if x[i] < _TOLERANCE or x[i] > 1 - _TOLERANCE:
                x[i] = float(x[i] > 0.5)
                for node in (ends[0][i], ends[1][i]):
                    del at[node][i]
                    if not at[node]:
                        del at[node]
    return x


def _path_or_cycle(at: dict[int, dict[int, None]], other: Callable[[int, int], int]) -> list[int]:
    """A cycle or a maximal path of fractional edges, as a list of edges in order."""
    start = next(iter(at))
    edge = next(iter(at[start]))
    path, nodes = [edge], [start, other(edge, start)]
    where = {start: 0, nodes[1]: 1}
    reversed_once = False
    while True:
        node, last = nodes[-1], path[-1]
        step = next((i for i in at.get(node, ()) if i != last), None)
        if step is None:
            if reversed_once:
                return path
            path.reverse()
            nodes.reverse()
            where = {n: i for i, n in enumerate(nodes)}
            reversed_once = True
            continue
        nxt = other(step, node)
        if nxt in where:
            # The cycle closes at nxt: its edges from there to here, then this one.
            return [*path[where[nxt] :], step]
        where[nxt] = len(nodes)
        path.append(step)
        nodes.append(nxt)


def assign_randomized(problem: AssignmentProblem, q: float, seed: int) -> Assignment:
    """The randomized assignment of Jecmen et al. (NeurIPS 2020): minimum expected cost
    with every pair's probability at most ``q``, then one assignment drawn from it with
    ``seed`` (:func:`fractional`, then :func:`sample`)."""
    return sample(fractional(problem, q), seed)
