"""The pass thresholds of a recognition rubric (认定验收, the rubric's ``[outcome]``
table): the outcome a consolidated score gives."""

from __future__ import annotations

from dataclasses import dataclass

# Scores are sums of fractions: a score equal to a threshold in decimal may be a hair
# below it in binary.
_EPS = 1e-9


@dataclass(frozen=True)
class OutcomeThresholds:
    """The pass thresholds of a recognition rubric (认定验收, ``[outcome]``): a
    consolidated score at or above ``pass_score`` passes (通过), at or above
    ``rectify_score`` is to be rectified within a deadline (限期整改), below it fails
    (不通过); a vetoed base fails whatever its score."""

    pass_score: float
    rectify_score: float

    def outcome_of(self, score: float) -> str:
        """``passed``, ``rectify`` or ``failed`` for a consolidated score."""
        if score >= self.pass_score - _EPS:
            return "passed"
        if score >= self.rectify_score - _EPS:
            return "rectify"
        return "failed"
