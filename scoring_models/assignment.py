"""Assigning experts to dossiers (issue 16): exact minimum cost, and randomized with a
cap on every pair's probability.

The caller states the problem (:class:`AssignmentProblem`): the experts with their load
range [``load_min``, ``load_max``], the dossiers with the number ``k`` of experts each
needs, and the allowed expert-dossier pairs with a cost each (for example 0 for a match
of the field, more for a weaker match). A pair that is not given is forbidden: the
caller leaves out conflicts and unfitting fields, and reports them itself.

- :func:`assign` finds a minimum-cost assignment: every dossier gets exactly ``k``
  distinct experts, every expert's load lies within its range, only allowed pairs are
  used; or it raises :class:`Infeasible` saying why.
- :func:`~scoring_models.randomized_assignment.assign_randomized` (Jecmen et al.,
  NeurIPS 2020; its own module) solves the same problem as a
  linear programme with every pair's value capped at ``q``, then samples an assignment
  whose probability of each pair is exactly that value (bipartite dependent rounding,
  Gandhi et al., 2006): nobody is on a dossier with probability above ``q``.

Both are linear programmes solved by HiGHS (``highspy``). The constraint matrix is that
of a transportation problem, totally unimodular, so the simplex method's optimal vertex
is integral when the bounds are. Dossiers with the same ``k`` and the same candidates at
the same costs are solved as one group (the experts' counts in the group, each at most
the group's size) and dealt out round-robin, which is exact and keeps the programme as
small as the number of different candidate lists (``docs/assignment.md``).

Each result explains itself: :meth:`Assignment.explain` gives, for every candidate of a
dossier, whether it was chosen and why, as a :class:`~scoring_models.reasons.Reason`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from scoring_models.highs import quiet_solver
from scoring_models.reasons import Reason
from scoring_models.rubric import N_

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_TOLERANCE = 1e-7  # a solver's value this close to an integer is that integer
_COST_TOLERANCE = 1e-6  # costs closer than this (relative to the largest) are equal


# --------------------------------------------------------------------------- the input


@dataclass(frozen=True)
class Expert:
    """An expert who may be assigned between ``load_min`` and ``load_max`` dossiers."""

    id: Hashable
    load_min: int = 0
    load_max: int = 1_000_000


@dataclass(frozen=True)
class Dossier:
    """A dossier that needs exactly ``k`` distinct experts. Dossiers of one ``family``
    (say, one direction) cost the same for every expert that is a candidate of both; the
    solver may then solve the family as one (see :mod:`scoring_models.assignment_families`).
    """

    id: Hashable
    k: int
    family: Hashable | None = None


@dataclass(frozen=True)
class Candidate:
    """An allowed pair: ``expert`` may review ``dossier`` at ``cost`` (lower is better)."""

    expert: Hashable
    dossier: Hashable
    cost: float = 0.0


def _ints(values: Any) -> IntArray:
    return np.ascontiguousarray(values, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class AssignmentProblem:
    """The problem as arrays (built from dataclasses by :meth:`build`, or directly by a
    caller with many pairs). Experts and dossiers are numbered by their position in
    ``expert_ids`` and ``dossier_ids``; pair ``i`` is expert ``pair_expert[i]`` on
    dossier ``pair_dossier[i]`` at ``pair_cost[i]``. The pairs are kept sorted by
    dossier, then expert (the constructor sorts them); a duplicate pair is an error."""

    expert_ids: tuple[Hashable, ...]
    load_min: IntArray
    load_max: IntArray
    dossier_ids: tuple[Hashable, ...]
    k: IntArray
    pair_expert: IntArray
    pair_dossier: IntArray
    pair_cost: FloatArray
    # Each dossier's family (None: no families); see Dossier.family.
    dossier_family: IntArray | None = None
    dossier_start: IntArray = field(init=False, repr=False)  # dossier d's pairs: a slice

    def __post_init__(self) -> None:
        n_experts, n_dossiers = len(self.expert_ids), len(self.dossier_ids)
        load_min, load_max, k = _ints(self.load_min), _ints(self.load_max), _ints(self.k)
        experts, dossiers = _ints(self.pair_expert), _ints(self.pair_dossier)
        cost = np.ascontiguousarray(self.pair_cost, dtype=np.float64)
        if load_min.shape != (n_experts,) or load_max.shape != (n_experts,):
            raise ValueError("one load_min and one load_max per expert")
        if k.shape != (n_dossiers,):
            raise ValueError("one k per dossier")
        family = None if self.dossier_family is None else _ints(self.dossier_family)
        if family is not None and family.shape != (n_dossiers,):
            raise ValueError("one family per dossier")
        if not experts.shape == dossiers.shape == cost.shape or experts.ndim != 1:
            raise ValueError("pair_expert, pair_dossier and pair_cost differ in length")
        if (load_min < 0).any() or (load_min > load_max).any() or (k < 0).any():
            raise ValueError("loads must satisfy 0 <= load_min <= load_max, and k >= 0")
        if len(experts) and not (
            0 <= experts.min() <= experts.max() < n_experts
            and 0 <= dossiers.min() <= dossiers.max() < n_dossiers
        ):
            raise ValueError("a pair names an expert or a dossier out of range")
        if not np.isfinite(cost).all():
            raise ValueError("every cost must be a finite number")
        key = dossiers * n_experts + experts  # one sort key: faster than a lexsort
        order = np.argsort(key)
        experts, dossiers, cost = experts[order], dossiers[order], cost[order]
        same = np.nonzero(np.diff(key[order]) == 0)[0]
        if len(same):
            i = int(same[0])
            raise ValueError(
                f"the pair of expert {self.expert_ids[experts[i]]!r} and dossier "
                f"{self.dossier_ids[dossiers[i]]!r} is given twice"
            )
        start = np.searchsorted(dossiers, np.arange(n_dossiers + 1)).astype(np.int64)
        for name, value in (
            ("expert_ids", tuple(self.expert_ids)),
            ("dossier_ids", tuple(self.dossier_ids)),
            ("load_min", load_min),
            ("load_max", load_max),
            ("k", k),
            ("pair_expert", experts),
            ("pair_dossier", dossiers),
            ("pair_cost", cost),
            ("dossier_family", family),
            ("dossier_start", start),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def build(
        cls,
        experts: Iterable[Expert],
        dossiers: Iterable[Dossier],
        candidates: Iterable[Candidate],
    ) -> AssignmentProblem:
        """The problem from dataclasses; a candidate naming an unknown expert or dossier
        is an error."""
        experts, dossiers = list(experts), list(dossiers)
        expert_at = {e.id: i for i, e in enumerate(experts)}
        dossier_at = {d.id: i for i, d in enumerate(dossiers)}
        if len(expert_at) < len(experts) or len(dossier_at) < len(dossiers):
            raise ValueError("expert and dossier ids must be unique")
        pairs = list(candidates)
        try:
            pair_expert = [expert_at[c.expert] for c in pairs]
            pair_dossier = [dossier_at[c.dossier] for c in pairs]
        except KeyError as unknown:
            raise ValueError(f"a candidate names an unknown id: {unknown}") from None
        families: dict[Hashable, int] = {}
        # A dossier without a family is a family of its own.
        family = [
            families.setdefault(
                ("family", d.family) if d.family is not None else ("own", i), len(families)
            )
            for i, d in enumerate(dossiers)
        ]
        return cls(
            tuple(e.id for e in experts),
            _ints([e.load_min for e in experts]),
            _ints([e.load_max for e in experts]),
            tuple(d.id for d in dossiers),
            _ints([d.k for d in dossiers]),
            _ints(pair_expert),
            _ints(pair_dossier),
            np.array([c.cost for c in pairs], dtype=np.float64),
            _ints(family) if any(d.family is not None for d in dossiers) else None,
        )

    def pairs_of(self, dossier: int) -> slice:
        """The positions of dossier number ``dossier``'s pairs."""
        return slice(int(self.dossier_start[dossier]), int(self.dossier_start[dossier + 1]))

    def dossier_index(self, dossier_id: Hashable) -> int:
        """The number of a dossier from its id."""
        return self._dossier_at[dossier_id]

    @cached_property
    def _dossier_at(self) -> dict[Hashable, int]:
        return {d: i for i, d in enumerate(self.dossier_ids)}


# --------------------------------------------------------------------------- infeasible


class InfeasibleCause(StrEnum):
    """Why no assignment exists; the values each cause carries are in brackets."""

    TOO_FEW_CANDIDATES = "too_few_candidates"  # dossier, k, candidates
    CAPPED_CANDIDATES = "capped_candidates"  # dossier, k, candidates, q
    CAPACITY_TOO_SMALL = "capacity_too_small"  # needed, capacity
    MINIMUMS_TOO_LARGE = "minimums_too_large"  # minimums, needed
    MINIMUM_UNREACHABLE = "minimum_unreachable"  # expert, load_min, reachable
    GROUP_TOO_SMALL = "group_too_small"  # dossiers, experts, needed, capacity
    GROUP_MINIMUMS = "group_minimums"  # dossiers, experts, minimums, needed
    NO_SOLUTION = "no_solution"  # (none)


class Infeasible(ValueError):
    """No assignment meets every constraint. ``cause`` says why, ``subject`` names the
    dossier or expert at fault (``None`` for a cause about the whole), ``template`` and
    ``values`` are the message for the application to translate."""

    def __init__(
        self, cause: InfeasibleCause, subject: Hashable, template: str, /, **values: Any
    ) -> None:
        super().__init__(template.format(**values))
        self.cause, self.subject = cause, subject
        self.template, self.values = template, values


def _check_counts(problem: AssignmentProblem, q: float | None) -> None:
    """The causes found by counting: a dossier with too few candidates, too little
    capacity in all, minimums above the need, an expert who cannot reach its minimum."""
    cap = 1.0 if q is None else q
    candidates = np.diff(problem.dossier_start)
    short = np.nonzero(candidates * cap < problem.k - _TOLERANCE)[0]
    if len(short):
        d = int(short[0])
        values = {"dossier": str(problem.dossier_ids[d]), "k": int(problem.k[d])}
        if q is None or candidates[d] < problem.k[d]:
            raise Infeasible(
                InfeasibleCause.TOO_FEW_CANDIDATES,
                problem.dossier_ids[d],
                N_("dossier {dossier} needs {k} experts but has only {candidates} candidates"),
                **values,
                candidates=int(candidates[d]),
            )
        raise Infeasible(
            InfeasibleCause.CAPPED_CANDIDATES,
            problem.dossier_ids[d],
            N_(
                "dossier {dossier} needs {k} experts but its {candidates} candidates at a "
                "probability of at most {q} each give fewer"
            ),
            **values,
            candidates=int(candidates[d]),
            q=q,
        )
    needed = int(problem.k.sum())
    capacity, minimums = int(problem.load_max.sum()), int(problem.load_min.sum())
    if capacity < needed:
        raise Infeasible(
            InfeasibleCause.CAPACITY_TOO_SMALL,
            None,
            N_("the dossiers need {needed} assignments but the experts can take only {capacity}"),
            needed=needed,
            capacity=capacity,
        )
    if minimums > needed:
        raise Infeasible(
            InfeasibleCause.MINIMUMS_TOO_LARGE,
            None,
            N_(
                "the experts' minimum loads add up to {minimums} but the dossiers need "
                "only {needed} assignments"
            ),
            minimums=minimums,
            needed=needed,
        )
    reach = np.bincount(problem.pair_expert, minlength=len(problem.expert_ids)) * cap
    low = np.nonzero(reach < problem.load_min - _TOLERANCE)[0]
    if len(low):
        e = int(low[0])
        raise Infeasible(
            InfeasibleCause.MINIMUM_UNREACHABLE,
            problem.expert_ids[e],
            N_("expert {expert} must take at least {load_min} dossiers but can reach {reachable}"),
            expert=str(problem.expert_ids[e]),
            load_min=int(problem.load_min[e]),
            reachable=round(float(reach[e]), 6),
        )


def _components(problem: AssignmentProblem) -> IntArray:
    """The connected component of every dossier and expert (dossiers first) in the graph
    of the allowed pairs, by union-find with path halving."""
    n_dossiers = len(problem.dossier_ids)
    parent = list(range(n_dossiers + len(problem.expert_ids)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for d, e in zip(problem.pair_dossier.tolist(), problem.pair_expert.tolist(), strict=True):
        a, b = root(d), root(n_dossiers + e)
        if a != b:
            parent[a] = b
    return _ints([root(x) for x in range(len(parent))])


def _diagnose(problem: AssignmentProblem) -> Infeasible:
    """Why the programme has no solution although the counts allow one: a group of
    dossiers whose candidates (a connected part of the graph) cannot serve them, or
    else the general cause."""
    n_dossiers = len(problem.dossier_ids)
    part = _components(problem)
    for label in np.unique(part[:n_dossiers]):
        dossiers = np.nonzero(part[:n_dossiers] == label)[0]
        experts = np.nonzero(part[n_dossiers:] == label)[0]
        needed = int(problem.k[dossiers].sum())
        capacity = int(problem.load_max[experts].sum())
        minimums = int(problem.load_min[experts].sum())
        values = {"dossiers": len(dossiers), "experts": len(experts), "needed": needed}
        if capacity < needed:
            return Infeasible(
                InfeasibleCause.GROUP_TOO_SMALL,
                problem.dossier_ids[int(dossiers[0])],
                N_(
                    "{dossiers} dossiers share {experts} candidate experts: they need "
                    "{needed} assignments but those experts can take only {capacity}"
                ),
                **values,
                capacity=capacity,
            )
        if minimums > needed:
            return Infeasible(
                InfeasibleCause.GROUP_MINIMUMS,
                problem.dossier_ids[int(dossiers[0])],
                N_(
                    "{dossiers} dossiers share {experts} candidate experts whose minimum "
                    "loads add up to {minimums}, more than the {needed} assignments they need"
                ),
                **values,
                minimums=minimums,
            )
    return Infeasible(
        InfeasibleCause.NO_SOLUTION,
        None,
        N_(
            "no assignment gives every dossier its experts within every expert's load "
            "range (some dossiers compete for too few experts)"
        ),
    )


# ------------------------------------------------------------------- the linear programme


@dataclass(frozen=True)
class _Groups:
    """Dossiers with the same k and the same candidates at the same costs."""

    of_dossier: IntArray  # each dossier's group
    size: IntArray  # dossiers per group
    first: IntArray  # each group's first dossier (its pairs stand for the group's)


def _group(problem: AssignmentProblem) -> _Groups:
    """Group the dossiers by their row of candidates (k, experts, costs)."""
    seen: dict[bytes, int] = {}
    of_dossier = np.empty(len(problem.dossier_ids), dtype=np.int64)
    first: list[int] = []
    experts, costs, start = problem.pair_expert, problem.pair_cost, problem.dossier_start
    for d in range(len(problem.dossier_ids)):
        a, b = start[d], start[d + 1]
        key = b"%d:" % problem.k[d] + experts[a:b].tobytes() + costs[a:b].tobytes()
        g = seen.setdefault(key, len(seen))
        if g == len(first):
            first.append(d)
        of_dossier[d] = g
    return _Groups(of_dossier, np.bincount(of_dossier, minlength=len(first)), _ints(first))


def _solve(problem: AssignmentProblem, groups: _Groups, q: float | None) -> FloatArray | None:
    """The optimal count of every (group, expert) pair, as values of the first dossier's
    pairs of each group (``None`` if the programme has no solution)."""
    n_groups, n_experts = len(groups.first), len(problem.expert_ids)
    columns = np.concatenate(
        [np.arange(problem.dossier_start[d], problem.dossier_start[d + 1]) for d in groups.first]
        or [np.zeros(0, dtype=np.int64)]
    )
    group_of = groups.of_dossier[problem.pair_dossier[columns]]
    size = groups.size[group_of].astype(np.float64)
    n = len(columns)
    if n == 0:  # nothing to choose (the counts have checked that nothing is needed)
        return np.zeros(len(problem.pair_cost))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, n_groups + n_experts
    lp.col_cost_ = problem.pair_cost[columns]
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = size if q is None else size * q
    need = (problem.k[groups.first] * groups.size).astype(np.float64)
    lp.row_lower_ = np.concatenate([need, problem.load_min.astype(np.float64)])
    lp.row_upper_ = np.concatenate([need, problem.load_max.astype(np.float64)])
    index = np.empty(2 * n, dtype=np.int32)
    index[0::2] = group_of
    index[1::2] = n_groups + problem.pair_expert[columns]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = np.ones(2 * n)
    solver = quiet_solver()
    solver.setOptionValue("solver", "simplex")  # a vertex: integral when the bounds are
    solver.setOptionValue("random_seed", 0)
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(
            f"HiGHS stopped without an optimum: {solver.modelStatusToString(status)}"
        )
    values = np.zeros(len(problem.pair_cost))
    values[columns] = np.clip(np.asarray(solver.getSolution().col_value), 0.0, None)
    return values


def _spread(
    problem: AssignmentProblem,
    groups: _Groups,
    counts: FloatArray,
    rng: np.random.Generator | None = None,
) -> BoolArray:
    """Deal every group's integral expert counts out to its dossiers round-robin: the
    experts in order, each repeated its count, the i-th to the group's dossier i mod n
    (the dossiers in their order, or shuffled by ``rng``). A count is at most n, so no
    dossier gets an expert twice, and each gets exactly k."""
    chosen = np.zeros(len(problem.pair_cost), dtype=bool)
    members = np.argsort(groups.of_dossier, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(groups.size)])
    key_all = problem.pair_dossier * len(problem.expert_ids) + problem.pair_expert
    for g, d in enumerate(groups.first.tolist()):
        span = problem.pairs_of(d)
        repeat = np.rint(counts[span]).astype(np.int64)
        if not repeat.any():
            continue
        dossiers = members[bounds[g] : bounds[g + 1]]
        if rng is not None:
            dossiers = rng.permutation(dossiers)
        experts = np.repeat(problem.pair_expert[span], repeat)
        to = dossiers[np.arange(len(experts)) % len(dossiers)]
        chosen[np.searchsorted(key_all, to * len(problem.expert_ids) + experts)] = True
    return chosen


# ------------------------------------------------------------------------------ results


class AssignmentReason(StrEnum):
    """Why a candidate is or is not on a dossier; every reason carries ``cost``,
    ``load``, ``load_min`` and ``load_max`` (the expert's), and those below more."""

    CHOSEN_CHEAPEST = "chosen_cheapest"  # no candidate left out costs less
    CHOSEN_CHEAPER_FULL = "chosen_cheaper_full"  # others: cheaper ones at their maximum
    CHOSEN_FOR_MINIMUM = "chosen_for_minimum"  # others: cheaper ones; it needs its minimum
    COSTLIER = "costlier"  # chosen_cost: the highest cost among the chosen
    TIE = "tie"  # same cost as a chosen one: either would do
    EXPERT_FULL = "expert_full"  # cheaper, but the expert is at its maximum load
    OTHERS_AT_MINIMUM = "others_at_minimum"  # cheaper, but those it would replace need
    # their minimum: others (them)
    DRAWN = "drawn"  # randomized: probability (the pair's marginal)
    NOT_DRAWN = "not_drawn"  # randomized: probability


@dataclass(frozen=True)
class PairExplanation:
    """One candidate of a dossier in a result: chosen or not, and why."""

    expert: Hashable
    cost: float
    chosen: bool
    reason: Reason


@dataclass(frozen=True, eq=False)
class Assignment:
    """A result: ``chosen[i]`` says whether the problem's pair ``i`` is assigned;
    ``loads`` is every expert's number of dossiers, ``cost`` the total. A randomized
    result also has the pairs' probabilities (``marginal``), ``q`` and ``seed``."""

    problem: AssignmentProblem
    chosen: BoolArray
    loads: IntArray
    cost: float
    marginal: FloatArray | None = None
    q: float | None = None
    seed: int | None = None

    def pairs(self) -> Iterator[tuple[Hashable, Hashable]]:
        """Every assigned (dossier id, expert id), by dossier then expert."""
        p = self.problem
        for i in np.nonzero(self.chosen)[0].tolist():
            yield p.dossier_ids[p.pair_dossier[i]], p.expert_ids[p.pair_expert[i]]

    def experts_of(self, dossier_id: Hashable) -> tuple[Hashable, ...]:
        """The experts assigned to a dossier, in the order of the problem's experts."""
        span = self.problem.pairs_of(self.problem.dossier_index(dossier_id))
        picked = self.problem.pair_expert[span][self.chosen[span]]
        return tuple(self.problem.expert_ids[e] for e in picked.tolist())

    def explain(self, dossier_id: Hashable) -> tuple[PairExplanation, ...]:
        """Every candidate of a dossier, chosen or not, with the reason."""
        p = self.problem
        span = p.pairs_of(p.dossier_index(dossier_id))
        experts = p.pair_expert[span]
        row = _Row(
            p.pair_cost[span].tolist(),
            self.chosen[span].tolist(),
            (self.loads[experts] >= p.load_max[experts]).tolist(),
            (self.loads[experts] <= p.load_min[experts]).tolist(),
            [str(p.expert_ids[e]) for e in experts.tolist()],
            self._cost_tolerance,
        )
        return tuple(
            PairExplanation(
                p.expert_ids[e], row.costs[i], row.chosen[i], self._reason(i, e, row, span)
            )
            for i, e in enumerate(experts.tolist())
        )

    @cached_property
    def _cost_tolerance(self) -> float:
        return _COST_TOLERANCE * max(1.0, float(np.abs(self.problem.pair_cost).max(initial=0.0)))

    def _reason(self, i: int, e: int, row: _Row, span: slice) -> Reason:
        p, cost, tol, chosen = self.problem, row.costs[i], row.tolerance, row.chosen
        base: dict[str, Any] = {
            "cost": cost,
            "load": int(self.loads[e]),
            "load_min": int(p.load_min[e]),
            "load_max": int(p.load_max[e]),
        }
        if self.marginal is not None:
            code = AssignmentReason.DRAWN if chosen[i] else AssignmentReason.NOT_DRAWN
            return Reason(code, {**base, "probability": float(self.marginal[span.start + i])})
        if chosen[i]:
            cheaper = [j for j, c in enumerate(row.costs) if not chosen[j] and c < cost - tol]
            if not cheaper:
                return Reason(AssignmentReason.CHOSEN_CHEAPEST, base)
            code = (
                AssignmentReason.CHOSEN_FOR_MINIMUM
                if any(not row.full[j] for j in cheaper)
                else AssignmentReason.CHOSEN_CHEAPER_FULL
            )
            return Reason(code, {**base, "others": tuple(row.names[j] for j in cheaper)})
        dearer = [j for j, c in enumerate(row.costs) if chosen[j] and c > cost + tol]
        if not dearer:
            top = max((c for j, c in enumerate(row.costs) if chosen[j]), default=cost)
            if top >= cost - tol:
                return Reason(AssignmentReason.TIE, base)
            return Reason(AssignmentReason.COSTLIER, {**base, "chosen_cost": top})
        if row.full[i]:
            return Reason(AssignmentReason.EXPERT_FULL, base)
        if all(row.at_min[j] for j in dearer):
            return Reason(
                AssignmentReason.OTHERS_AT_MINIMUM,
                {**base, "others": tuple(row.names[j] for j in dearer)},
            )
        raise RuntimeError("the assignment is not optimal: a cheaper candidate could swap in")


@dataclass(frozen=True)
class _Row:
    """A dossier's candidates as :meth:`Assignment.explain` reads them, in pair order."""

    costs: list[float]
    chosen: list[bool]
    full: list[bool]  # the expert is at its maximum load
    at_min: list[bool]  # the expert is at its minimum load
    names: list[str]
    tolerance: float  # costs closer than this are equal


def _result(problem: AssignmentProblem, chosen: BoolArray, **extra: Any) -> Assignment:
    loads = np.bincount(problem.pair_expert[chosen], minlength=len(problem.expert_ids))
    cost = float(problem.pair_cost[chosen].sum())
    return Assignment(problem, chosen, loads.astype(np.int64), cost, **extra)


def assign(problem: AssignmentProblem) -> Assignment:
    """A minimum-cost assignment: every dossier exactly ``k`` distinct experts, every
    expert's load within its range, allowed pairs only. Raises :class:`Infeasible`
    (with the cause) when there is none."""
    _check_counts(problem, None)
    if problem.dossier_family is not None:
        from scoring_models.assignment_families import assign_by_family

        chosen = assign_by_family(problem)
        if chosen is not None:  # optimal: the families' relaxation was dealt out exactly
            return _result(problem, chosen)
    groups = _group(problem)
    counts = _solve(problem, groups, None)
    if counts is None:
        raise _diagnose(problem)
    if np.abs(counts - np.rint(counts)).max(initial=0.0) > _TOLERANCE:
        raise RuntimeError("HiGHS returned a fractional vertex")  # cannot happen: TU
    return _result(problem, _spread(problem, groups, counts))
