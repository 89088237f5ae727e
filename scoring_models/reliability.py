"""Inter-rater reliability: the six intraclass correlations of Shrout and Fleiss (1979)
and Kendall's coefficient of concordance W with the correction for ties."""

from __future__ import annotations

from collections.abc import Sequence

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
