"""The exact assignment solved per family of dossiers, for problems whose candidate
lists are all different (issue 16).

Dossiers of one *family* (in Review Desk, one industry direction) cost the same for an
expert who is a candidate of two of them; their candidate lists differ only where a
conflict of interest removes a pair. Grouping identical lists
(:func:`scoring_models.assignment._group`) then gains little: with a conflict on most
dossiers there are as many lists as dossiers, and the linear programme has millions of
columns (50,000 dossiers x 130 candidates: minutes of simplex).

The *relaxation* forgets which dossier of the family a conflict is on: it chooses, for
every family and expert, how many of the family's dossiers the expert takes, at most
the number of the family's dossiers that allow them (``a``), with the family's need
(the sum of its ``k``) and the experts' load ranges as constraints. Its programme has one
column per (family, expert): a few thousand. Any assignment gives a solution of the
relaxation of the same cost, so the relaxation's optimum is a lower bound. The counts
are then dealt out to the family's dossiers, each getting ``k`` distinct allowed
experts (:func:`_deal`); when that succeeds, the assignment costs exactly the lower
bound and is optimal. When it does not (conflicts so dense that the counts cannot be
dealt), the caller solves the full programme instead: the answer is exact either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
import numpy.typing as npt

from scoring_models.highs import quiet_solver

if TYPE_CHECKING:
    from scoring_models.assignment import AssignmentProblem

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_TOLERANCE = 1e-7


def assign_by_family(problem: AssignmentProblem) -> BoolArray | None:
    """An optimal choice of pairs through the families' relaxation, or None when the
    families do not apply (an expert's cost differs within a family), the relaxation has
    no solution, or its counts cannot be dealt out (then the full programme decides)."""
    relaxed = relaxation(problem)
    if relaxed is None:
        return None
    counts = solve(problem, relaxed)
    if counts is None:
        return None
    return _deal(problem, relaxed, counts)


@dataclass(frozen=True)
class Relaxation:
    """The relaxation's columns: one per (family, expert), with the number of the
    family's dossiers that allow the expert and the cost; ``column_of`` is every pair's
    column."""

    columns: IntArray  # family * n_experts + expert
    allowed: FloatArray
    cost: FloatArray
    column_of: IntArray


def relaxation(problem: AssignmentProblem) -> Relaxation | None:
    """The families' relaxation of ``problem``, or None when an expert costs
    differently on two dossiers of one family (the families do not apply)."""
    family = problem.dossier_family
    assert family is not None
    n_experts = len(problem.expert_ids)
    key = family[problem.pair_dossier] * n_experts + problem.pair_expert
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if not len(sorted_key):
        empty = np.zeros(0, dtype=np.int64)
        return Relaxation(empty, empty.astype(np.float64), empty.astype(np.float64), empty)
    starts = np.concatenate([[0], np.nonzero(np.diff(sorted_key))[0] + 1]).astype(np.int64)
    cost = problem.pair_cost[order]
    low, high = np.minimum.reduceat(cost, starts), np.maximum.reduceat(cost, starts)
    if (high - low > _TOLERANCE * max(1.0, float(np.abs(high).max()))).any():
        return None
    allowed = np.diff(np.concatenate([starts, [len(sorted_key)]]))
    column_of = np.empty(len(key), dtype=np.int64)
    column_of[order] = np.repeat(np.arange(len(starts)), allowed)
    return Relaxation(sorted_key[starts], allowed.astype(np.float64), low, column_of)


def solve(problem: AssignmentProblem, relaxed: Relaxation) -> IntArray | None:
    """The optimal count of every (family, expert) column, or None without a solution."""
    family = problem.dossier_family
    assert family is not None
    n_experts = len(problem.expert_ids)
    columns, allowed, cost = relaxed.columns, relaxed.allowed, relaxed.cost
    family_of, expert_of = np.divmod(columns, n_experts)
    n_families = int(family.max()) + 1 if len(family) else 0
    need = np.bincount(family, weights=problem.k, minlength=n_families)
    lp = highspy.HighsLp()
    n = len(columns)
    lp.num_col_, lp.num_row_ = n, n_families + n_experts
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = allowed
    lp.row_lower_ = np.concatenate([need, problem.load_min.astype(np.float64)])
    lp.row_upper_ = np.concatenate([need, problem.load_max.astype(np.float64)])
    index = np.empty(2 * n, dtype=np.int32)
    index[0::2] = family_of
    index[1::2] = n_families + expert_of
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = np.ones(2 * n)
    solver = quiet_solver()
    solver.setOptionValue("solver", "simplex")  # a vertex: integral (the matrix is TU)
    solver.setOptionValue("random_seed", 0)
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.asarray(solver.getSolution().col_value)
    if np.abs(values - np.rint(values)).max(initial=0.0) > 1e-6:
        return None
    counts: IntArray = np.rint(values).astype(np.int64)
    return counts


def _deal(problem: AssignmentProblem, relaxed: Relaxation, counts: IntArray) -> BoolArray | None:
    """Deal every family's counts out to its dossiers: each dossier, the most
    constrained first (fewest candidates), takes its ``k`` candidates whose remaining
    count is largest beside the number of the family's dossiers still to come that allow
    them (an expert who must take every one of those comes first). None when a dossier
    finds fewer than ``k`` candidates with a count left."""
    chosen = np.zeros(len(problem.pair_cost), dtype=bool)
    start = problem.dossier_start
    width = np.diff(start)
    column_of = relaxed.column_of
    left = counts.astype(np.float64)  # the count still to deal, per column
    to_come = relaxed.allowed.copy()  # the family's dossiers to come that allow it
    dossier_family = problem.dossier_family
    assert dossier_family is not None
    order = np.lexsort((width, dossier_family))  # by family, the narrowest first
    for d in order.tolist():
        a, b = int(start[d]), int(start[d + 1])
        k = int(problem.k[d])
        mine = column_of[a:b]
        remaining = left[mine]
        if k:
            if np.count_nonzero(remaining > 0) < k:
                return None
            urgency = np.where(remaining > 0, remaining / to_come[mine], -1.0)
            take = np.argpartition(-urgency, k - 1)[:k]
            chosen[a + take] = True
            left[mine[take]] -= 1
        to_come[mine] -= 1
    if left.any():
        return None  # a count was not dealt (cannot happen when every dossier got k)
    return chosen
