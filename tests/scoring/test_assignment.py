"""The expert assignment (scoring_models.assignment) against brute force on small
instances, its infeasibility causes, its explanations, and the randomized variant's
frequencies over seeded runs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring_models.assignment import (
    Assignment,
    AssignmentProblem,
    AssignmentReason,
    Candidate,
    Dossier,
    Expert,
    Infeasible,
    InfeasibleCause,
    assign,
)
from scoring_models.randomized_assignment import assign_randomized, fractional, sample


@st.composite
def problems(draw: st.DrawFn, max_experts: int = 4, max_dossiers: int = 4) -> AssignmentProblem:
    """A small random problem; dossiers often repeat a row of candidates (as in a
    direction without conflicts), so that grouping is exercised."""
    n_experts = draw(st.integers(1, max_experts))
    n_dossiers = draw(st.integers(1, max_dossiers))
    experts = []
    for e in range(n_experts):
        low = draw(st.integers(0, 2))
        experts.append(Expert(f"e{e}", low, low + draw(st.integers(0, 3))))
    rows = [
        (
            draw(st.integers(0, min(3, n_experts))),
            {e: draw(st.integers(0, 3)) for e in range(n_experts) if draw(st.booleans())},
        )
        for _template in range(draw(st.integers(1, n_dossiers)))
    ]
    dossiers, candidates = [], []
    for d in range(n_dossiers):
        k, row = rows[draw(st.integers(0, len(rows) - 1))]
        dossiers.append(Dossier(f"d{d}", k))
        candidates += [Candidate(f"e{e}", f"d{d}", float(c)) for e, c in row.items()]
    return AssignmentProblem.build(experts, dossiers, draw(st.permutations(candidates)))


def brute_force(problem: AssignmentProblem) -> float | None:
    """The least total cost over every choice of k candidates per dossier that keeps
    every load in range (``None`` when there is none)."""
    choices = []
    for d in range(len(problem.dossier_ids)):
        span = range(*problem.pairs_of(d).indices(len(problem.pair_cost)))
        choices.append(list(itertools.combinations(span, int(problem.k[d]))))
    best = None
    for picked in itertools.product(*choices):
        pairs = [i for group in picked for i in group]
        loads = np.bincount(problem.pair_expert[pairs], minlength=len(problem.expert_ids))
        if (loads >= problem.load_min).all() and (loads <= problem.load_max).all():
            cost = float(problem.pair_cost[pairs].sum())
            best = cost if best is None else min(best, cost)
    return best


def check_feasible(result: Assignment) -> None:
    """Every dossier exactly k distinct experts among its candidates, loads in range."""
    p = result.problem
    counts = np.bincount(p.pair_dossier[result.chosen], minlength=len(p.dossier_ids))
    assert (counts == p.k).all()
    for d, dossier in enumerate(p.dossier_ids):
        experts = result.experts_of(dossier)
        assert len(set(experts)) == len(experts) == p.k[d]
        allowed = {p.expert_ids[e] for e in p.pair_expert[p.pairs_of(d)]}
        assert set(experts) <= allowed
    loads = np.bincount(p.pair_expert[result.chosen], minlength=len(p.expert_ids))
    assert (loads == result.loads).all()
    assert (p.load_min <= loads).all() and (loads <= p.load_max).all()
    assert sum(1 for _ in result.pairs()) == int(p.k.sum())


@settings(max_examples=200, deadline=None)
@given(problems())
def test_assign_is_feasible_and_as_cheap_as_brute_force(problem: AssignmentProblem) -> None:
    best = brute_force(problem)
    if best is None:
        with pytest.raises(Infeasible):
            assign(problem)
        return
    result = assign(problem)
    check_feasible(result)
    assert result.cost == pytest.approx(best)
    for dossier in problem.dossier_ids:  # every candidate explains itself (never raises)
        for pair in result.explain(dossier):
            assert pair.chosen == (pair.expert in result.experts_of(dossier))
            assert pair.chosen == pair.reason.code.startswith("chosen_")


def build(
    experts: list[tuple[str, int, int]],
    dossiers: list[tuple[str, int]],
    pairs: list[tuple[str, str, float]],
) -> AssignmentProblem:
    return AssignmentProblem.build(
        [Expert(*e) for e in experts],
        [Dossier(*d) for d in dossiers],
        [Candidate(*c) for c in pairs],
    )


INFEASIBLE = {
    InfeasibleCause.TOO_FEW_CANDIDATES: (
        build([("a", 0, 9), ("b", 0, 9)], [("D1", 3)], [("a", "D1", 0), ("b", "D1", 0)]),
        "D1",
    ),
    InfeasibleCause.CAPACITY_TOO_SMALL: (
        build(
            [("a", 0, 1), ("b", 0, 1)],
            [("D1", 2), ("D2", 1)],
            [(e, d, 0) for e in "ab" for d in ("D1", "D2")],
        ),
        "3 assignments",
    ),
    InfeasibleCause.MINIMUMS_TOO_LARGE: (
        build([("a", 2, 9), ("b", 1, 9)], [("D1", 2)], [("a", "D1", 0), ("b", "D1", 0)]),
        "add up to 3",
    ),
    InfeasibleCause.MINIMUM_UNREACHABLE: (
        build(
            [("a", 2, 9), ("b", 0, 9)],
            [("D1", 1), ("D2", 1), ("D3", 1)],
            [("a", "D1", 0), ("b", "D1", 0), ("b", "D2", 0), ("b", "D3", 0)],
        ),
        "expert a",
    ),
    # Two directions: enough capacity in all, not in the second.
    InfeasibleCause.GROUP_TOO_SMALL: (
        build(
            [("a", 0, 9), ("b", 0, 9), ("c", 0, 1)],
            [("D1", 2), ("D2", 1), ("D3", 1)],
            [("a", "D1", 0), ("b", "D1", 0), ("c", "D2", 0), ("c", "D3", 0)],
        ),
        "2 dossiers share 1 candidate experts",
    ),
    InfeasibleCause.GROUP_MINIMUMS: (
        build(
            [("a", 2, 9), ("b", 1, 9), ("c", 0, 9), ("d", 0, 9), ("e", 0, 9)],
            [("D1", 1), ("D2", 1), ("D3", 3)],
            [(e, d, 0) for e in "ab" for d in ("D1", "D2")] + [(e, "D3", 0) for e in "cde"],
        ),
        "minimum loads add up to 3",
    ),
    # Connected and large enough, yet D1 and D2 both need a, who can take one.
    InfeasibleCause.NO_SOLUTION: (
        build(
            [("a", 0, 1), ("b", 0, 9)],
            [("D1", 1), ("D2", 1), ("D3", 1)],
            [("a", "D1", 0), ("a", "D2", 0), ("a", "D3", 0), ("b", "D3", 0)],
        ),
        "no assignment",
    ),
}


@pytest.mark.parametrize("cause", list(INFEASIBLE))
def test_infeasible_names_its_cause(cause: InfeasibleCause) -> None:
    problem, words = INFEASIBLE[cause]
    assert brute_force(problem) is None
    with pytest.raises(Infeasible, match=words) as raised:
        assign(problem)
    assert raised.value.cause == cause
    assert str(raised.value) == raised.value.template.format(**raised.value.values)


def test_the_cap_q_can_make_a_problem_infeasible() -> None:
    problem = build([("a", 0, 9), ("b", 0, 9)], [("D1", 2)], [("a", "D1", 0), ("b", "D1", 0)])
    assert assign(problem).cost == 0
    with pytest.raises(Infeasible, match=r"probability of at most 0\.5") as raised:
        assign_randomized(problem, 0.5, seed=1)
    assert raised.value.cause == InfeasibleCause.CAPPED_CANDIDATES
    with pytest.raises(ValueError, match="cap q"):
        fractional(problem, 0)


def reasons(result: Assignment, dossier: Hashable) -> dict[Hashable, str]:
    return {pair.expert: pair.reason.code for pair in result.explain(dossier)}


def test_explanations_name_loads_and_costs() -> None:
    # a is cheaper everywhere but can take one dossier: the other gets b.
    result = assign(
        build(
            [("a", 0, 1), ("b", 0, 9), ("c", 0, 9)],
            [("D1", 1), ("D2", 1)],
            [("a", "D1", 0), ("b", "D1", 1), ("a", "D2", 0), ("b", "D2", 1), ("c", "D2", 2)],
        )
    )
    with_b = "D1" if result.experts_of("D1") == ("b",) else "D2"
    assert reasons(result, with_b)["a"] == AssignmentReason.EXPERT_FULL
    assert reasons(result, with_b)["b"] == AssignmentReason.CHOSEN_CHEAPER_FULL
    assert reasons(result, "D2")["c"] == AssignmentReason.COSTLIER
    with_a = "D2" if with_b == "D1" else "D1"
    assert reasons(result, with_a)["a"] == AssignmentReason.CHOSEN_CHEAPEST
    explained = {p.expert: p for p in result.explain(with_b)}
    assert explained["a"].reason.params == {"cost": 0.0, "load": 1, "load_min": 0, "load_max": 1}
    # b must reach its minimum: it takes D1 although a is cheaper and free.
    result = assign(
        build([("a", 0, 5), ("b", 1, 1)], [("D1", 1)], [("a", "D1", 0), ("b", "D1", 1)])
    )
    assert reasons(result, "D1") == {
        "a": AssignmentReason.OTHERS_AT_MINIMUM,
        "b": AssignmentReason.CHOSEN_FOR_MINIMUM,
    }
    # Equal costs: the one left out is a tie.
    result = assign(
        build([("a", 0, 5), ("b", 0, 5)], [("D1", 1)], [("a", "D1", 0), ("b", "D1", 0)])
    )
    assert sorted(reasons(result, "D1").values()) == [
        AssignmentReason.CHOSEN_CHEAPEST,
        AssignmentReason.TIE,
    ]


def test_same_candidates_are_dealt_out_without_repeats() -> None:
    # 6 identical dossiers, 3 experts each of 4; b is cheapest, d dearest.
    experts = [(e, 0, 5) for e in "abcd"]
    dossiers = [(f"D{i}", 3) for i in range(6)]
    costs = {"a": 1, "b": 0, "c": 1, "d": 2}
    result = assign(
        build(experts, dossiers, [(e, d, costs[e]) for d, _k in dossiers for e in "abcd"])
    )
    check_feasible(result)
    assert result.loads.tolist() == [5, 5, 5, 3]  # b at most 5 (one dossier lacks it)
    assert result.cost == 5 * 0 + 10 * 1 + 3 * 2


# -------------------------------------------------------------------------- randomized

RUNS = 2_000
CAPPED = build(
    [("a", 0, 3), ("b", 1, 3), ("c", 0, 2), ("d", 0, 3), ("e", 0, 1)],
    [("D1", 2), ("D2", 2), ("D3", 1), ("D4", 2)],
    [
        *[("a", "D1", 0), ("b", "D1", 1), ("c", "D1", 0), ("d", "D1", 2)],
        *[("a", "D2", 1), ("c", "D2", 0), ("d", "D2", 0), ("e", "D2", 3)],
        *[("a", "D3", 0), ("b", "D3", 0), ("e", "D3", 1)],
        *[("b", "D4", 0), ("c", "D4", 2), ("d", "D4", 1), ("e", "D4", 0)],
    ],
)

# Five dossiers with the same candidates (one group) and one with its own.
GROUPED = build(
    [("a", 0, 5), ("b", 0, 5), ("c", 0, 5), ("d", 0, 2)],
    [*[(f"G{i}", 2) for i in range(5)], ("H", 2)],
    [
        *[(e, f"G{i}", cost) for i in range(5) for e, cost in (("a", 0), ("b", 0), ("c", 1))],
        *[("a", "H", 0), ("d", "H", 1), ("c", "H", 2)],
    ],
)


@pytest.mark.parametrize(("problem", "q"), [(CAPPED, 0.6), (GROUPED, 0.7)], ids=["own", "grouped"])
def test_randomized_frequencies_match_the_capped_marginals(
    problem: AssignmentProblem, q: float
) -> None:
    plan = fractional(problem, q)
    p = problem
    assert (plan.marginal <= q + 1e-9).all()
    sums = np.bincount(p.pair_dossier, weights=plan.marginal, minlength=len(p.dossier_ids))
    assert sums == pytest.approx(p.k.astype(float))
    assert plan.cost >= assign(p).cost - 1e-9  # the cap can only cost more
    expected_load = np.bincount(p.pair_expert, weights=plan.marginal)
    hits = np.zeros(len(p.pair_cost))
    for seed in range(RUNS):
        result = sample(plan, seed)
        check_feasible(result)
        assert (result.loads >= np.floor(expected_load - 1e-9)).all()
        assert (result.loads <= np.ceil(expected_load + 1e-9)).all()
        hits += result.chosen
    frequency = hits / RUNS
    error = np.sqrt(plan.marginal * (1 - plan.marginal) / RUNS)
    assert (np.abs(frequency - plan.marginal) <= 4 * error + 1e-9).all()
    assert (frequency <= q + 4 * math.sqrt(q * (1 - q) / RUNS)).all()
    assert (frequency[plan.marginal == 0] == 0).all()


def test_randomized_is_deterministic_from_its_seed() -> None:
    first = assign_randomized(CAPPED, 0.6, seed=7)
    assert (first.chosen == assign_randomized(CAPPED, 0.6, seed=7).chosen).all()
    assert (first.chosen == sample(fractional(CAPPED, 0.6), 7).chosen).all()
    drawn = {tuple(assign_randomized(CAPPED, 0.6, seed).chosen) for seed in range(20)}
    assert len(drawn) > 1
    assert {p.reason.code for d in CAPPED.dossier_ids for p in first.explain(d)} <= {
        AssignmentReason.DRAWN,
        AssignmentReason.NOT_DRAWN,
    }


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from([0.5, 0.75, 1.0]), st.integers(0, 2**32 - 1))
def test_randomized_draws_are_feasible(problem: AssignmentProblem, q: float, seed: int) -> None:
    try:
        plan = fractional(problem, q)
    except Infeasible:
        return
    assert (plan.marginal <= q + 1e-9).all()
    result = sample(plan, seed)
    check_feasible(result)
    expected_load = np.bincount(
        problem.pair_expert, weights=plan.marginal, minlength=len(problem.expert_ids)
    )
    assert (np.abs(result.loads - expected_load) < 1).all()


def test_invalid_problems_are_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        build([("a", 0, 1)], [("D1", 1)], [("a", "D1", 0), ("a", "D1", 1)])
    with pytest.raises(ValueError, match="unknown id"):
        build([("a", 0, 1)], [("D1", 1)], [("b", "D1", 0)])
    with pytest.raises(ValueError, match="load_min <= load_max"):
        build([("a", 2, 1)], [("D1", 1)], [("a", "D1", 0)])
