"""A reason as a record: a code with its parameters, never finished text.

Reasons are part of what the committee signs (the finalised list and its hash) and of
what is stored in a project, so they must not depend on the language of whoever
computed them. The models return :class:`Reason` values; the application turns them
into text in the user's language only when it shows them (``review_desk.reasons``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A parameter: text (a dossier code, a direction's name), a number, or a list of texts.
Param = str | int | float | tuple[str, ...]


def _param(value: Any) -> Param:
    """A parameter in its one canonical form (lists as tuples, numpy scalars as Python)."""
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    if isinstance(value, bool):
        raise TypeError("a reason parameter is text or a number, not a truth value")
    if isinstance(value, (str, int, float)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return _param(value.item())
    raise TypeError(f"not a reason parameter: {value!r}")


@dataclass(frozen=True)
class Reason:
    """Why a result is what it is: a ``code`` (a member of a ``StrEnum`` of the module
    that decides) and the ``params`` its text needs."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        canonical = {str(k): _param(v) for k, v in sorted(self.params.items())}
        object.__setattr__(self, "params", canonical)

    def __hash__(self) -> int:
        return hash((str(self.code), tuple(self.params.items())))

    def __str__(self) -> str:
        """A stable, language-free spelling (logs, CSV dumps), not text for users."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.code}({shown})"


class AllocationReason(StrEnum):
    """Why a candidate got its tier; the parameters each code carries are in brackets."""

    SELECTED = "selected"  # rank, score
    DIRECTION_FULL = "direction_full"  # direction (its name), cap
    APPLICANT_FULL = "applicant_full"  # cap
    TOTAL_FULL = "total_full"  # target
    TIED = "tied"  # others (the other tied candidates' codes), score
    HELD = "held"  # (none): the place a tie above contests is held
    REQUESTED_MUNICIPAL = "requested_municipal"  # (none)
    BELOW_MIN = "below_min"  # score, min
    INELIGIBLE = "ineligible"  # (none): formal review failed or vetoed
    UNSCORED = "unscored"  # (none): eligible so far, but no submitted score sheet yet
    # A tie-break column (its name in ``tie_break``) decided between equal scores:
    TIE_BREAK_WON = "tie_break_won"  # rank, score, tie_break, others (the ones it beat)
    TIE_BREAK_LOST = "tie_break_lost"  # score, tie_break, others (who took the places)
