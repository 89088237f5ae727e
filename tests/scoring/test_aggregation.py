"""Consolidation: the trimmed mean, normalisation guards, deviation flags and the
bootstrap's determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring_models.aggregation import (
    ConsolidationConfig,
    ConsolidationError,
    aggregate,
    consolidate,
    deviation_flags,
    normalise,
)
from scoring_models.allocation import AllocationRules
from scoring_models.stability import stability


def test_trimmed_mean_drops_exactly_one_highest_and_one_lowest() -> None:
    values = pd.Series([60.0, 70.0, 70.0, 80.0, 99.0])
    assert aggregate(values, "trimmed", 5) == pytest.approx((70 + 70 + 80) / 3)
    # Seven experts: still one each way, not a rounded proportion.
    seven = pd.Series([10.0, 50, 50, 50, 50, 50, 90])
    assert aggregate(seven, "trimmed", 5) == 50.0
    # Fewer than N experts: the plain mean.
    assert aggregate(pd.Series([60.0, 70, 80, 99]), "trimmed", 5) == pytest.approx(77.25)
    assert aggregate(pd.Series([60.0, 70, 99]), "median", 5) == 70.0


def _totals(rows: list[tuple[int, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["dossier_id", "expert_id", "stage", "points"])


def test_normalisation_refuses_too_few_dossiers_and_flat_experts() -> None:
    few = _totals([(1, 1, "m", 40), (2, 1, "m", 45), (1, 2, "m", 30)])
    with pytest.raises(ConsolidationError) as error:
        normalise(few, {1: 1, 2: 1}, 2)
    assert error.value.values["experts"] == "2"
    flat = _totals([(1, 1, "m", 40), (2, 1, "m", 40), (1, 2, "m", 30), (2, 2, "m", 35)])
    with pytest.raises(ConsolidationError) as error:
        normalise(flat, {1: 1, 2: 1}, 2)
    assert "same total" in error.value.template


def test_normalisation_removes_an_experts_constant_severity() -> None:
    rows = []
    for dossier, quality in enumerate([30.0, 35.0, 40.0, 45.0], start=1):
        rows.append((dossier, 1, "m", quality))
        rows.append((dossier, 2, "m", quality - 10))  # a strict expert, same order
    frame = normalise(_totals(rows), {1: 1, 2: 1}, 3)
    wide = frame.pivot(index="dossier_id", columns="expert_id", values="points")
    assert np.allclose(wide[1], wide[2])


def test_deviation_flags_by_percent_and_by_spread() -> None:
    totals = pd.DataFrame(
        [(1, e, t) for e, t in enumerate([80.0, 82.0, 50.0], start=1)]
        + [(2, e, t) for e, t in enumerate([80.0, 81.0, 79.0, 80.5, 90.0], start=1)],
        columns=["dossier_id", "expert_id", "total"],
    )
    flags = deviation_flags(totals, percent=30, sd=2).set_index(["dossier_id", "expert_id"])
    assert flags.loc[(1, 3), "flagged"] and flags.loc[(1, 3), "direction"] == "low"
    assert not flags.loc[(1, 1), "flagged"]  # two others only: no spread test
    assert flags.loc[(2, 5), "flagged"] and flags.loc[(2, 5), "direction"] == "high"
    assert not flags.loc[(2, 1), "flagged"]
    assert flags.loc[(1, 3), "gap_percent"] == pytest.approx(100 * (50 - 81) / 81)


def test_consolidation_weights_bonus_vetoes_and_records_its_config() -> None:
    totals = _totals(
        [(1, e, "m", p) for e, p in [(1, 40), (2, 45)]]
        + [(1, e, "d", p) for e, p in [(1, 20), (2, 30)]]
        + [(2, 1, "m", 50), (2, 1, "d", 50)]
    )
    maxima = pd.DataFrame(
        [(d, s, 50.0) for d in (1, 2) for s in ("m", "d")], columns=["dossier_id", "stage", "max"]
    )
    config = ConsolidationConfig(method="mean", weights={"m": 0.6, "d": 0.4}, rubric_hash="abc")
    result = consolidate(
        totals,
        maxima,
        config,
        bonus=pd.Series({1: 2.0}),
        veto_counts=pd.DataFrame([(2, "fraud", 1)], columns=["dossier_id", "veto_id", "count"]),
        veto_thresholds={"fraud": 1},
    )["dossiers"].set_index("dossier_id")
    assert result.loc[1, "base"] == pytest.approx(100 * (0.6 * 42.5 / 50 + 0.4 * 25 / 50))
    assert result.loc[1, "score"] == pytest.approx(result.loc[1, "base"] + 2)
    assert bool(result.loc[2, "vetoed"]) and not bool(result.loc[1, "vetoed"])
    assert config.as_dict()["rubric_hash"] == "abc"
    with pytest.raises(ConsolidationError):
        consolidate(totals, maxima, ConsolidationConfig(method="mode"))


def test_stability_is_seeded_and_flags_fragile_selections() -> None:
    rng = np.random.default_rng(5)
    dossiers, experts = 30, 5
    quality = np.linspace(60, 90, dossiers)
    totals = pd.DataFrame(
        [(d, e, quality[d] + rng.normal(0, 4)) for d in range(dossiers) for e in range(experts)],
        columns=["dossier_id", "expert_id", "total"],
    )
    candidates = pd.DataFrame(
        {
            "dossier_id": range(dossiers),
            "applicant_id": range(dossiers),
            "direction_id": [d % 6 for d in range(dossiers)],
            "city": "太原市",
            "requested_level": "provincial",
            "eligible": True,
            "score": 0.0,
        }
    )
    rules = AllocationRules(provincial_target=5, direction_cap=2)
    first = stability(totals, candidates, rules, resamples=300, seed=7).probabilities
    second = stability(totals, candidates, rules, resamples=300, seed=7).probabilities
    pd.testing.assert_frame_equal(first, second)
    assert first["p_provincial"].between(0, 1).all()
    assert first["p_provincial"].sum() == pytest.approx(5, abs=0.01)  # 5 places each draw
    assert first.loc[first["p_provincial"].idxmax(), "dossier_id"] >= dossiers - 6
    assert (first["fragile"] == (first["p_provincial"].between(0, 0.8, inclusive="neither"))).all()
