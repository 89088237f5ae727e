"""The vectorised consolidation agrees with the plain pandas one it replaced, on random
incomplete designs: every method, with and without normalisation, bonus and vetoes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring_models.aggregation import (
    ConsolidationConfig,
    SheetPoints,
    consolidate,
    consolidate_sheets,
    sheet_points,
)
from tests.scoring import reference_consolidation as reference

STAGES = ("materials", "defense", "inspection")
WEIGHTS = {"materials": 0.5, "defense": 0.3, "inspection": 0.2}


def _design(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, int]]:
    """Stage totals of a random incomplete design: 1 to 7 experts per dossier from a
    pool in panels, stages sometimes missing, points on half steps."""
    rng = np.random.default_rng(seed)
    experts = np.arange(1, 16)
    panels = {int(e): int(e % 3) for e in experts}
    rows = []
    for dossier in range(1, 41):
        quality = rng.uniform(0.3, 0.95)
        for expert in rng.choice(experts, size=int(rng.integers(1, 8)), replace=False):
            for stage, top in zip(STAGES, (50, 30, 20), strict=True):
                if rng.random() < 0.1:
                    continue
                share = np.clip(quality + rng.normal(0, 0.1), 0, 1)
                rows.append((dossier, int(expert), stage, round(top * share * 2) / 2))
    totals = pd.DataFrame(rows, columns=["dossier_id", "expert_id", "stage", "points"])
    maxima = pd.DataFrame(
        [(d, s, m) for d in range(1, 41) for s, m in zip(STAGES, (50, 30, 20), strict=True)],
        columns=["dossier_id", "stage", "max"],
    )
    return totals, maxima, panels


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("method", ["mean", "median", "trimmed"])
def test_vectorised_consolidation_equals_the_reference(seed: int, method: str) -> None:
    totals, maxima, panels = _design(seed)
    config = ConsolidationConfig(method=method, weights=WEIGHTS, deviation_sd=1.5)
    bonus = pd.Series({3: 2.0, 7: 1.0})
    vetoes = pd.DataFrame(
        [(5, "fraud", 2), (9, "fraud", 1)], columns=["dossier_id", "veto_id", "count"]
    )
    options = {
        "panels": panels,
        "bonus": bonus,
        "veto_counts": vetoes,
        "veto_thresholds": {"fraud": 2},
    }
    got = consolidate(totals, maxima, config, **options)
    want = reference.consolidate(totals, maxima, config, **options)
    pd.testing.assert_frame_equal(
        got["dossiers"][want["dossiers"].columns].reset_index(drop=True),
        want["dossiers"].reset_index(drop=True),
        check_dtype=False,
        rtol=1e-12,
        atol=1e-9,
    )
    columns = [
        "dossier_id",
        "expert_id",
        "total",
        "mean_others",
        "gap_percent",
        "flagged",
        "direction",
    ]
    pd.testing.assert_frame_equal(
        got["experts"][columns], want["experts"][columns], check_dtype=False, rtol=1e-12, atol=1e-9
    )
    pd.testing.assert_frame_equal(
        got["leniency"].reset_index(drop=True),
        want["leniency"].reset_index(drop=True),
        check_dtype=False,
        rtol=1e-12,
        atol=1e-12,
    )
    assert got["experts"]["flagged"].any()  # the flags are exercised, not all False


@pytest.mark.parametrize("seed", range(4))
def test_normalised_consolidation_equals_the_reference(seed: int) -> None:
    totals, maxima, panels = _design(100 + seed)
    # Normalising needs every expert on a few dossiers with some spread.
    counts = totals.groupby(["expert_id", "stage"]).size()
    keep = counts[counts >= 4].index
    totals = totals.set_index(["expert_id", "stage"]).loc[keep].reset_index()
    config = ConsolidationConfig(normalise=True, weights=WEIGHTS, normalise_min_dossiers=3)
    got = consolidate(totals, maxima, config, panels=panels)["dossiers"]
    want = reference.consolidate(totals, maxima, config, panels=panels)["dossiers"]
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_sheets_without_points_take_no_part() -> None:
    sheets = SheetPoints(
        ("m",),
        np.array([1, 1, 1]),
        np.array([1, 2, 3]),
        np.array([[40.0], [np.nan], [30.0]]),
        np.full((3, 1), 50.0),
    )
    result = consolidate_sheets(sheets, ConsolidationConfig(method="mean", weights={"m": 1.0}))
    assert result["dossiers"]["experts"].tolist() == [2]
    assert result["dossiers"]["base"].tolist() == pytest.approx([70.0])
    assert result["experts"]["expert_id"].tolist() == [1, 3]


def test_sheet_points_count_only_the_criteria_that_apply() -> None:
    # Criteria: two of stage 0 (the second for kind 1 only), one of stage 1.
    points = np.array([[10.0, 5.0, 7.0], [10.0, 5.0, np.nan], [np.nan, np.nan, 3.0]])
    sheets = sheet_points(
        points,
        np.array([0, 0, 1]),
        np.array([[True, False, True], [True, True, True]]),
        np.array([0, 1, 0]),
        np.array([[20.0, 10.0], [30.0, 10.0]]),
        stages=("m", "d"),
        dossier_id=np.array([1, 2, 1]),
        expert_id=np.array([1, 1, 2]),
    )
    assert np.array_equal(
        sheets.points, [[10.0, 7.0], [15.0, np.nan], [np.nan, 3.0]], equal_nan=True
    )
    assert np.array_equal(sheets.maxima, [[20.0, 10.0], [30.0, 10.0], [20.0, 10.0]])
