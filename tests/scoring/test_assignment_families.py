"""The exact assignment through the families' relaxation
(scoring_models.assignment_families): on small random instances whose dossiers fall in
families (a cost per family and expert, conflicts removing pairs here and there), its
cost equals brute force, its result is feasible, and it explains itself; it gives way
to the full programme where the families do not apply or cannot be dealt out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from scoring_models import assignment_families
from scoring_models.assignment import (
    AssignmentProblem,
    Candidate,
    Dossier,
    Expert,
    Infeasible,
    assign,
)
from tests.scoring.test_assignment import brute_force, check_feasible


@st.composite
def family_problems(draw: st.DrawFn) -> AssignmentProblem:
    """Experts with a cost per family (or not a candidate of it); each dossier of a
    family has the family's candidates less its conflicts."""
    n_experts = draw(st.integers(2, 5))
    n_families = draw(st.integers(1, 3))
    experts = []
    for e in range(n_experts):
        low = draw(st.sampled_from([0, 0, 0, 1]))
        experts.append(Expert(f"e{e}", low, low + draw(st.integers(1, 4))))
    costs = [
        {e: float(draw(st.integers(0, 2))) for e in range(n_experts) if draw(st.integers(0, 3))}
        for _family in range(n_families)
    ]
    dossiers, candidates = [], []
    for d in range(draw(st.integers(1, 4))):
        family = draw(st.integers(0, n_families - 1))
        dossiers.append(Dossier(f"d{d}", draw(st.integers(0, 2)), family=family))
        for e, cost in costs[family].items():
            if draw(st.integers(0, 4)):  # a conflict removes a fifth
                candidates.append(Candidate(f"e{e}", f"d{d}", cost))
    return AssignmentProblem.build(experts, dossiers, draw(st.permutations(candidates)))


@settings(max_examples=300, deadline=None)
@given(family_problems())
def test_the_families_give_the_brute_force_optimum(problem: AssignmentProblem) -> None:
    best = brute_force(problem)
    if best is None:
        with pytest.raises(Infeasible):
            assign(problem)
        return
    dealt = assignment_families.assign_by_family(problem)
    event("dealt by family" if dealt is not None else "the full programme")
    result = assign(problem)
    check_feasible(result)
    assert result.cost == pytest.approx(best)
    if dealt is not None:  # the families' answer is the one assign gave
        assert np.array_equal(result.chosen, dealt)
    for dossier in problem.dossier_ids:  # an optimum explains itself (never raises)
        for pair in result.explain(dossier):
            assert pair.chosen == (pair.expert in result.experts_of(dossier))


def test_a_family_with_an_expert_at_two_costs_is_not_a_family() -> None:
    problem = AssignmentProblem.build(
        [Expert("a", 0, 2), Expert("b", 0, 2)],
        [Dossier("x", 1, family=7), Dossier("y", 1, family=7)],
        [Candidate("a", "x", 0.0), Candidate("a", "y", 1.0), Candidate("b", "y", 0.0)],
    )
    assert assignment_families.relaxation(problem) is None
    result = assign(problem)  # the full programme decides
    assert result.cost == 0.0 and result.experts_of("x") == ("a",)


def test_dealing_follows_the_counts_an_expert_must_fill() -> None:
    """An expert whose count equals the family's dossiers that allow them must be on
    every one of them: the dealing puts them there first, whatever the order."""
    experts = [Expert(f"e{i}", 0, 10) for i in range(4)]
    # e0 is wanted on every dossier that allows it (cheapest); d0 does not allow e1.
    dossiers = [Dossier(f"d{i}", 2, family=0) for i in range(4)]
    candidates = [
        Candidate(f"e{e}", f"d{d}", 0.0 if e == 0 else 1.0)
        for d in range(4)
        for e in range(4)
        if not (d == 0 and e == 1) and not (d == 3 and e == 2)
    ]
    problem = AssignmentProblem.build(experts, dossiers, candidates)
    relaxed = assignment_families.relaxation(problem)
    assert relaxed is not None
    chosen = assignment_families.assign_by_family(problem)
    assert chosen is not None
    result = assign(problem)
    check_feasible(result)
    assert result.cost == 4.0 and all("e0" in result.experts_of(f"d{i}") for i in range(4))
    assert np.array_equal(result.chosen, chosen)
