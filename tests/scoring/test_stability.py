"""The vectorised stability analysis against the plain loop it replaces: the same seed
gives the same draws, so the probabilities and leave-one-out verdicts must be equal,
not merely close."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring_models.allocation import AllocationRules
from scoring_models.stability import _stability_loop, stability


def _project(
    seed: int,
    dossiers: int,
    experts: int,
    directions: int,
    coarse: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A random small project: incomplete designs, ties (coarse totals), ineligible
    rows, municipal requests, shared applicants, bonus points."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(dossiers):
        for e in range(experts):
            if rng.random() < 0.7:
                total = float(rng.integers(60, 64)) if coarse else float(rng.uniform(50, 95))
                rows.append((d, f"e{e}", total))
    totals = pd.DataFrame(rows, columns=["dossier_id", "expert_id", "total"])
    candidates = pd.DataFrame(
        {
            "dossier_id": range(dossiers),
            "applicant_id": rng.integers(0, max(1, dossiers // 2), dossiers),
            "direction_id": rng.integers(0, directions, dossiers),
            "city": "太原市",
            "requested_level": rng.choice(["provincial", "municipal"], dossiers, p=[0.8, 0.2]),
            "eligible": rng.random(dossiers) < 0.85,
            "score": 0.0,
        }
    )
    bonus = pd.Series(rng.choice([0.0, 0.0, 1.0, 2.0], dossiers), index=range(dossiers))
    return totals, candidates, bonus


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    dossiers=st.integers(1, 45),
    experts=st.integers(1, 6),
    directions=st.integers(1, 5),
    coarse=st.booleans(),
    target=st.integers(1, 8),
    cap=st.integers(1, 3),
    applicant_cap=st.none() | st.integers(1, 2),
    min_score=st.none() | st.sampled_from([55.0, 62.0, 80.0]),
    resamples=st.integers(0, 25),
    draw_seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_stability_equals_the_plain_loop(
    seed: int,
    dossiers: int,
    experts: int,
    directions: int,
    coarse: bool,
    target: int,
    cap: int,
    applicant_cap: int | None,
    min_score: float | None,
    resamples: int,
    draw_seed: int,
) -> None:
    totals, candidates, bonus = _project(seed, dossiers, experts, directions, coarse)
    rules = AllocationRules(
        provincial_target=target,
        direction_cap=cap,
        direction_caps={0: cap + 1},
        applicant_cap=applicant_cap,
        min_score=min_score,
    )
    if totals.empty:
        return  # compute() does not run the analysis without expert totals
    fast = stability(totals, candidates, rules, resamples=resamples, seed=draw_seed, bonus=bonus)
    plain = _stability_loop(
        totals, candidates, rules, resamples=resamples, seed=draw_seed, bonus=bonus
    )
    pd.testing.assert_frame_equal(fast.probabilities, plain.probabilities, check_exact=True)
    assert (fast.resamples, fast.seed) == (plain.resamples, plain.seed)


def test_prefix_grows_when_one_direction_crowds_the_top() -> None:
    """The top 60 all belong to one direction capped at 2: the cutoff for the other
    places lies far below the first prefix the vectorised analysis looks at."""
    rng = np.random.default_rng(3)
    dossiers, experts = 120, 5
    crowd = 60
    quality = np.where(np.arange(dossiers) < crowd, 90.0, 60.0) + rng.uniform(0, 5, dossiers)
    totals = pd.DataFrame(
        [(d, e, quality[d] + rng.normal(0, 3)) for d in range(dossiers) for e in range(experts)],
        columns=["dossier_id", "expert_id", "total"],
    )
    candidates = pd.DataFrame(
        {
            "dossier_id": range(dossiers),
            "applicant_id": range(dossiers),
            "direction_id": [0 if d < crowd else 1 + d % 7 for d in range(dossiers)],
            "city": "太原市",
            "requested_level": "provincial",
            "eligible": True,
            "score": 0.0,
        }
    )
    rules = AllocationRules(provincial_target=10, direction_cap=2)
    fast = stability(totals, candidates, rules, resamples=40, seed=11).probabilities
    plain = _stability_loop(totals, candidates, rules, resamples=40, seed=11).probabilities
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert fast["p_provincial"].sum() == 10  # every draw fills the target
    assert fast.loc[fast["dossier_id"] >= crowd, "p_provincial"].sum() == 8


def test_national_shape_draws_match_on_a_few_resamples() -> None:
    """A few thousand dossiers over 30 directions, panels of experts per direction."""
    rng = np.random.default_rng(8)
    dossiers = 3000
    direction = rng.integers(0, 30, dossiers)
    rows = []
    for d in range(dossiers):
        quality = rng.uniform(55, 90)
        panel = rng.choice(6, 5, replace=False)
        for e in panel:
            rows.append((d, f"p{direction[d]}-{e}", round(quality + rng.normal(0, 4), 2)))
    totals = pd.DataFrame(rows, columns=["dossier_id", "expert_id", "total"])
    candidates = pd.DataFrame(
        {
            "dossier_id": range(dossiers),
            "applicant_id": range(dossiers),
            "direction_id": direction,
            "city": "太原市",
            "requested_level": "provincial",
            "eligible": rng.random(dossiers) < 0.95,
            "score": 0.0,
        }
    )
    rules = AllocationRules(provincial_target=10, direction_cap=2)
    fast = stability(totals, candidates, rules, resamples=5, seed=2).probabilities
    plain = _stability_loop(totals, candidates, rules, resamples=5, seed=2).probabilities
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)


def test_rank_json_on_the_demo_gives_the_loop_probabilities(
    demo_readonly: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `review-desk rank --json` reports is what the plain loop gives."""
    from review_desk import ranking_steps
    from review_desk.cli import main

    def probabilities() -> dict[str, object]:
        assert main(["rank", str(demo_readonly), "--json", "--resamples", "200"]) == 0
        rows = json.loads(capsys.readouterr().out)["rows"]
        return {row["code"]: (row["p_provincial"], row["loo_provincial"]) for row in rows}

    fast = probabilities()
    monkeypatch.setattr(ranking_steps, "stability", _stability_loop)
    assert probabilities() == fast
    assert any(p not in (None, 0.0) for p, _ in fast.values())


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    dossiers=st.integers(60, 160),
    experts=st.integers(5, 14),
    coarse=st.booleans(),
    target=st.integers(1, 4),
    min_score=st.none() | st.sampled_from([61.0, 75.0]),
)
def test_leave_one_out_from_the_full_list_equals_the_loop(
    seed: int, dossiers: int, experts: int, coarse: bool, target: int, min_score: float | None
) -> None:
    """Enough contenders that the list is decided well above the bottom: the
    leave-one-out reruns that touch nobody near the top reuse the full list."""
    totals, candidates, bonus = _project(seed, dossiers, experts, 6, coarse)
    rules = AllocationRules(provincial_target=target, direction_cap=1, min_score=min_score)
    fast = stability(totals, candidates, rules, resamples=3, seed=seed, bonus=bonus)
    plain = _stability_loop(totals, candidates, rules, resamples=3, seed=seed, bonus=bonus)
    pd.testing.assert_frame_equal(fast.probabilities, plain.probabilities, check_exact=True)
