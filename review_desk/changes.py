"""What an operation changed in the project, as plain data (Anki's ``OpChanges``).

A use case run as a background operation returns its result and a :class:`Changes`;
the window hands that value to every page, and each page looks at the flags it shows
and refreshes itself. No page calls another page, and nobody polls the database.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """Which parts of the project an operation may have changed."""

    project: bool = False
    """The project's own settings: name, quotas, directions."""
    dossiers: bool = False
    """Dossiers and their materials (intake, supplements)."""
    formal_review: bool = False
    """Formal-review checks, verdicts and supplement requests."""
    experts: bool = False
    """Experts, panels, assignments and enrolled keys."""
    scores: bool = False
    """Score sheets (saved, submitted, imported)."""
    rubric: bool = False
    """The scoring rubric."""
    defense: bool = False
    """Defense and inspection records."""
    explanations: bool = False
    """Explanations of deviating scores."""
    adjustments: bool = False
    """The committee's tier adjustments."""
    finalised: bool = False
    """The finalised list."""
    publicity: bool = False
    """The publicity period, its objections and the list's versions."""
    pilot: bool = False
    """The pilot year: its milestones, progress reports and notes."""
    recognition: bool = False
    """A recognition round's decisions and its finalised recognition list, and the
    rounds made from a selection project."""

    @classmethod
    def everything(cls) -> Changes:
        """Every part changed (a project opened, or work whose effect is not known)."""
        return cls(**{f.name: True for f in fields(cls)})

    def __or__(self, other: Changes) -> Changes:
        if not isinstance(other, Changes):
            return NotImplemented
        return Changes(
            **{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)}
        )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @property
    def ranking(self) -> bool:
        """Whether the consolidated ranking (and the charts and exports derived from it)
        may differ: everything but the defense records and the pilot year, which the
        ranking does not read."""
        return bool(replace(self, defense=False, pilot=False))

    @property
    def ranking_decisions(self) -> bool:
        """Whether the committee's decisions on the list changed."""
        return self.explanations or self.adjustments or self.finalised


NOTHING = Changes()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A use case's result together with what it changed."""

    result: T
    changes: Changes
