"""Reliability against published values."""

from __future__ import annotations

import numpy as np
import pytest

from scoring_models.reliability import complete_block, icc, kendall_w

# Shrout and Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
PUBLISHED = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


def test_shrout_fleiss_worked_example() -> None:
    values = icc(SHROUT_FLEISS)
    assert set(values) == set(PUBLISHED)
    for key, published in PUBLISHED.items():
        assert round(values[key], 2) == published, key


def test_kendall_w_limits_and_ties() -> None:
    agree = [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]]
    assert kendall_w(agree) == pytest.approx(1.0)
    assert kendall_w([[1, 4], [2, 3], [3, 2], [4, 1]]) == pytest.approx(0.0)
    # Ties: two raters agree exactly, with a tie in both -> still complete agreement.
    assert kendall_w([[1, 1], [1, 1], [3, 3], [4, 4]]) == pytest.approx(1.0)
    # Without the tie correction this would be 0.9 (S = 50, m = 2, n = 4, T = 6 per rater).
    assert kendall_w([[1, 1], [1, 1], [3, 3], [4, 4]]) != pytest.approx(0.9)


def test_incomplete_data_is_refused_and_blocks_are_complete() -> None:
    data = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 4.0], [3.0, 3.5]])
    with pytest.raises(ValueError):
        icc(data)
    assert complete_block(data).shape == (3, 2)
