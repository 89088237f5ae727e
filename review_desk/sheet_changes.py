"""Changes to a score sheet as plain data that know their inverse, so that the desk's
undo and redo replay them through the same durable use cases as any other edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review_desk import scoring
from review_desk.project import Project

SCORE, COMMENT, OPINION, VETO = (f.value for f in scoring.Field)


@dataclass(frozen=True)
class SheetChange:
    """One change of one field of an expert's sheet: ``old`` -> ``new``."""

    expert_id: int
    dossier_id: int
    field: str  # score, comment, opinion, veto
    key: str  # criterion id, veto id, or "" for the opinion
    old: Any
    new: Any

    def inverse(self) -> SheetChange:
        """The change that undoes this one."""
        return SheetChange(
            self.expert_id, self.dossier_id, self.field, self.key, self.new, self.old
        )

    def apply(self, project: Project, actor: str = "") -> None:
        """Write the change through the score-sheet service (one durable transaction)."""
        value = self.new
        if self.field in (COMMENT, OPINION):
            value = value or ""
        scoring.apply(
            project,
            self.expert_id,
            self.dossier_id,
            [scoring.Change(scoring.Field(self.field), self.key, value)],
            actor=actor,
        )
