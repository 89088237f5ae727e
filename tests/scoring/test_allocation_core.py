"""The allocation's vectorised core gives exactly what the plain loop it replaced gave:
tiers, reasons, ties and ranks, on random candidates with equal scores, tie-break
columns, direction and applicant caps, a minimum score, municipal requests, and
candidates left out or unscored."""

from __future__ import annotations

import random

import pytest

from scoring_models.allocation import AllocationRules, _core, _record
from tests.scoring import reference_allocation as reference


def _candidates(seed: int) -> tuple[list, ...]:
    rng = random.Random(seed)
    n = rng.randrange(0, 400)
    # Coarse scores so that exact ties are common, at the cutoff too.
    keys = [
        (float(rng.choice(range(60, 90))), float(rng.randrange(3)), float(rng.randrange(2)))
        for _ in range(n)
    ]
    eligible = [rng.random() > 0.1 for _ in range(n)]
    unscored = [not e and rng.random() < 0.5 for e in eligible]
    directions = [rng.randrange(1, 8) for _ in range(n)]
    applicants = [rng.randrange(1, 60) for _ in range(n)]
    levels = ["provincial" if rng.random() < 0.8 else "municipal" for _ in range(n)]
    labels = [f"SX-{i:04d}" for i in range(n)]
    return keys, eligible, directions, applicants, levels, labels, unscored


@pytest.mark.parametrize("seed", range(60))
def test_the_core_equals_the_plain_loop(seed: int) -> None:
    keys, eligible, directions, applicants, levels, labels, unscored = _candidates(seed)
    rng = random.Random(1000 + seed)
    rules = AllocationRules(
        provincial_target=rng.randrange(1, 15),
        direction_cap=rng.randrange(1, 4),
        direction_caps={3: 1} if rng.random() < 0.5 else {},
        applicant_cap=rng.choice([None, 1, 2]),
        min_score=rng.choice([None, 65.0, 75.0]),
        tie_breaks=["a", "b"],
    )
    names = {d: f"方向{d}" for d in range(1, 8)}
    args = (keys, eligible, directions, applicants, levels, labels, rules, _record, names, unscored)
    assert _core(*args) == reference._core(*args)
