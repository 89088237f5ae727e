"""Inter-rater reliability: the six intraclass correlations of Shrout and Fleiss (1979)
and Kendall's coefficient of concordance W with the correction for ties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def _matrix(ratings: ArrayLike) -> np.ndarray:
    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 2:
        raise ValueError("ratings must be a targets x raters array with at least 2 of each")
    if not np.all(np.isfinite(data)):
        raise ValueError("ratings must be complete (no missing values)")
    return data


def icc(ratings: ArrayLike) -> dict[str, float]:
    """Return the six Shrout-Fleiss ICCs of a complete targets x raters array."""
    x = _matrix(ratings)
    n, k = x.shape
    grand = x.mean()
    target_means = x.mean(axis=1)
    rater_means = x.mean(axis=0)
    ss_total = ((x - grand) ** 2).sum()
    ss_targets = k * ((target_means - grand) ** 2).sum()
    ss_raters = n * ((rater_means - grand) ** 2).sum()
    ss_within = ss_total - ss_targets
    ss_error = ss_total - ss_targets - ss_raters
    bms = ss_targets / (n - 1)
    wms = ss_within / (n * (k - 1))
    jms = ss_raters / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))

    def ratio(numerator: float, denominator: float) -> float:
        return float(numerator / denominator) if denominator else float("nan")

    return {
        "ICC(1,1)": ratio(bms - wms, bms + (k - 1) * wms),
        "ICC(2,1)": ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC(3,1)": ratio(bms - ems, bms + (k - 1) * ems),
        "ICC(1,k)": ratio(bms - wms, bms),
        "ICC(2,k)": ratio(bms - ems, bms + (jms - ems) / n),
        "ICC(3,k)": ratio(bms - ems, bms),
    }


def _ranks(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Average ranks (1 = smallest) and the tie term sum(t^3 - t)."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ties = 0.0
    i = 0
    sorted_values = values[order]
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    return ranks, ties


def kendall_w(ratings: ArrayLike) -> float:
    """Return Kendall's W of a complete targets x raters array, corrected for ties."""
    x = _matrix(ratings)
    n, m = x.shape
    rank_sums = np.zeros(n)
    tie_total = 0.0
    for rater in range(m):
        ranks, ties = _ranks(x[:, rater])
        rank_sums += ranks
        tie_total += ties
    s = float(((rank_sums - rank_sums.mean()) ** 2).sum())
    denominator = m**2 * (n**3 - n) - m * tie_total
    return s * 12 / denominator if denominator else float("nan")


def reading(icc_value: float, w: float) -> str:
    """A plain-language reading of a panel's reliability (Koo and Li's 2016 bands for the
    ICC), as a message template key for the application to translate."""
    if not np.isfinite(icc_value):
        return "not enough complete data to judge"
    if icc_value < 0.5:
        level = "poor"
    elif icc_value < 0.75:
        level = "moderate"
    elif icc_value < 0.9:
        level = "good"
    else:
        level = "excellent"
    return f"{level}:{w:.2f}"


def complete_block(matrix: np.ndarray, raters: Sequence[int] | None = None) -> np.ndarray:
    """Return the rows of a targets x raters array that every rater scored."""
    data = np.asarray(matrix, dtype=float)
    if raters is not None:
        data = data[:, list(raters)]
    return data[np.all(np.isfinite(data), axis=1)]


#: Panels with at most this many raters are searched exactly (2**k subsets).
EXACT_RATER_LIMIT = 20


@dataclass(frozen=True)
class Block:
    """A complete block of a targets x raters array: every rater of ``raters`` scored
    every target of ``targets`` (indices into the array's rows and columns)."""

    targets: tuple[int, ...]
    raters: tuple[int, ...]
    exact: bool  # True when found by exhaustive search, False by the greedy heuristic

    @property
    def cells(self) -> int:
        """The block's size: targets x raters."""
        return len(self.targets) * len(self.raters)


def block_order(targets: int, raters: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    """Order of preference between complete blocks, best first: more raters, then more
    targets, then the lexicographically smallest tuple of rater indices."""
    return (-len(raters), -targets, raters)


def largest_complete_block(
    matrix: ArrayLike,
    min_targets: int = 2,
    min_raters: int = 2,
    exact_limit: int = EXACT_RATER_LIMIT,
) -> Block | None:
    """Return the largest complete block of a targets x raters array (missing = NaN).

    *Largest* means, among the blocks with at least ``min_targets`` targets and
    ``min_raters`` raters, the one with the most raters (the whole panel when enough
    targets were scored by all of it: reliability is the panel's), then the most
    targets, then the lexicographically smallest tuple of rater indices (sort the
    columns by id to make that the smallest ids). For a set of raters the block's
    targets are all those every one of them scored.

    Up to ``exact_limit`` raters every subset is examined: each target's set of raters
    is a bit mask, and a superset-sum over the 2**k masks counts, for every rater set
    at once, the targets all of its members scored. Above it a greedy search starts
    from all raters and repeatedly drops the rater whose removal leaves the most
    complete targets (ties: the highest index), until at least ``min_targets`` targets
    are complete; that is not guaranteed to be the largest block.
    Returns None when no block meets the minimums.
    """
    present = np.isfinite(np.asarray(matrix, dtype=float))
    if present.ndim != 2:
        raise ValueError("ratings must be a targets x raters array")
    k = present.shape[1]
    if k < min_raters or present.shape[0] < min_targets:
        return None
    exact = k <= exact_limit
    if exact:
        raters = _exact_raters(present, min_targets, min_raters)
    else:
        raters = _greedy_raters(present, min_targets, min_raters)
    if raters is None:
        return None
    targets = np.flatnonzero(present[:, list(raters)].all(axis=1))
    return Block(tuple(int(t) for t in targets), raters, exact)


def _exact_raters(present: np.ndarray, min_targets: int, min_raters: int) -> tuple[int, ...] | None:
    k = present.shape[1]
    weights = np.left_shift(np.int64(1), np.arange(k, dtype=np.int64))
    row_masks = present.astype(np.int64) @ weights
    # counts[S] = number of targets whose rater set is exactly S; after the superset-sum
    # transform (a reversed cumulative sum along each bit's axis), the number of targets
    # whose rater set contains S.
    cube = np.bincount(row_masks, minlength=1 << k).astype(np.int64).reshape((2,) * k)
    for axis in range(k):
        cube = np.flip(np.cumsum(np.flip(cube, axis), axis=axis), axis)
    covered = cube.reshape(-1)
    masks = np.arange(1 << k, dtype=np.int64)
    sizes = sum(((masks >> bit) & 1 for bit in range(k)), np.zeros(1 << k, dtype=np.int64))
    valid = np.flatnonzero((covered >= min_targets) & (sizes >= min_raters))
    if valid.size == 0:
        return None
    valid = valid[sizes[valid] == sizes[valid].max()]
    valid = valid[covered[valid] == covered[valid].max()]
    return min(tuple(b for b in range(k) if int(s) >> b & 1) for s in valid)


def _greedy_raters(
    present: np.ndarray, min_targets: int, min_raters: int
) -> tuple[int, ...] | None:
    current = list(range(present.shape[1]))
    while len(current) >= min_raters:
        if int(present[:, current].all(axis=1).sum()) >= min_targets:
            return tuple(current)
        if len(current) == min_raters:
            break
        options = []
        for i, rater in enumerate(current):
            rest = current[:i] + current[i + 1 :]
            options.append((int(present[:, rest].all(axis=1).sum()), rater))
        current.remove(max(options)[1])
    return None
