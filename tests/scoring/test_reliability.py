"""Reliability against published values; the largest complete block against brute force
and on the demo project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring_models.reliability import (
    block_order,
    complete_block,
    icc,
    kendall_w,
    largest_complete_block,
)
from tests.support import run_cli

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


@st.composite
def _designs(draw: st.DrawFn) -> np.ndarray:
    """A random incomplete design: up to 10 dossiers x 7 experts, NaN where unscored."""
    rows = draw(st.integers(1, 10))
    columns = draw(st.integers(1, 7))
    density = draw(st.sampled_from([0.3, 0.6, 0.85, 1.0]))
    cells = draw(st.lists(st.floats(0, 1), min_size=rows * columns, max_size=rows * columns))
    present = np.array(cells).reshape(rows, columns) < density
    return np.where(present, np.arange(rows * columns).reshape(rows, columns) % 7, np.nan)


def _brute_force(
    data: np.ndarray, min_targets: int, min_raters: int
) -> tuple[int, int, tuple[int, ...]] | None:
    """The best complete block (as ``block_order`` ranks them) by trying every set of
    dossiers with every set of experts (bit masks: a set of experts is complete on a set
    of dossiers when it is inside every one of their masks)."""
    rows, columns = data.shape
    masks = [sum(1 << j for j in range(columns) if np.isfinite(data[i, j])) for i in range(rows)]
    best = None
    for targets in range(1, 1 << rows):
        chosen = [masks[i] for i in range(rows) if targets >> i & 1]
        if len(chosen) < min_targets:
            continue
        common = (1 << columns) - 1
        for mask in chosen:
            common &= mask
        for raters in range(1, 1 << columns):
            if raters.bit_count() >= min_raters and raters & common == raters:
                key = block_order(len(chosen), tuple(j for j in range(columns) if raters >> j & 1))
                best = key if best is None else min(best, key)
    return best


@settings(max_examples=150, deadline=None)
@given(_designs(), st.sampled_from([(2, 2), (3, 2), (2, 3)]))
def test_largest_block_is_complete_and_the_best_by_brute_force(
    data: np.ndarray, minimums: tuple[int, int]
) -> None:
    """Most experts, then most dossiers, then the smallest expert ids: the block found is
    the one an exhaustive search over all dossier and expert sets prefers."""
    min_targets, min_raters = minimums
    expected = _brute_force(data, min_targets, min_raters)
    block = largest_complete_block(data, min_targets=min_targets, min_raters=min_raters)
    if block is None:
        assert expected is None
        return
    assert block.exact
    assert len(block.targets) >= min_targets and len(block.raters) >= min_raters
    assert np.isfinite(data[np.ix_(block.targets, block.raters)]).all()
    assert block_order(len(block.targets), block.raters) == expected


def test_greedy_search_above_the_exact_limit_finds_a_planted_block() -> None:
    rng = np.random.default_rng(7)
    data = np.where(rng.random((40, 24)) < 0.5, 1.0, np.nan)
    data[:5, :20] = 1.0  # 5 dossiers that experts 0-19 all scored
    block = largest_complete_block(data, min_targets=3)
    assert block is not None and not block.exact
    assert np.isfinite(data[np.ix_(block.targets, block.raters)]).all()
    # At least as many experts as the planted block (here a 3 x 21 block beats it).
    assert len(block.raters) >= 20 and len(block.targets) >= 3
    # Within the exact limit, the exact search is used.
    exact = largest_complete_block(data[:, :20], min_targets=3)
    assert exact is not None and exact.exact and exact.raters == tuple(range(20))


def test_demo_first_panel_uses_its_largest_complete_block(demo_readonly: Path) -> None:
    """李秀梅, 王建国 and 陈立新 all scored 5 dossiers of the first panel: the figures are
    those of that 5 x 3 block, not of a 3 x 3 one."""
    done = run_cli("rank", str(demo_readonly), "--json", "--resamples", "0", module="review_desk")
    assert done.returncode == 0, done.stderr
    first = min(json.loads(done.stdout)["reliability"], key=lambda entry: entry["panel"])
    assert (first["dossiers"], first["experts"], first["cells"]) == (5, 3, 15)
    assert sorted(first["expert_names"]) == sorted(["李秀梅", "王建国", "陈立新"])
    assert len(first["dossier_codes"]) == 5 and first["exact"]
    assert first["icc"]["ICC(2,1)"] == pytest.approx(0.867, abs=5e-4)
    assert first["kendall_w"] == pytest.approx(1.0)
