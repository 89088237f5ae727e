"""Changes to a score sheet as plain data that know their inverse, so that the desk's
undo and redo replay them through the same durable use cases as any other edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review_desk import scoring
from review_desk.project import Project

SCORE, COMMENT, OPINION, VETO = "score", "comment", "opinion", "veto"


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
        """Write the change (one durable transaction)."""
        args = (project, self.expert_id, self.dossier_id)
        if self.field == SCORE:
            scoring.set_score(*args, self.key, self.new, actor=actor)
        elif self.field == COMMENT:
            scoring.set_comment(*args, self.key, self.new or "", actor=actor)
        elif self.field == OPINION:
            scoring.set_opinion(*args, self.new or "", actor=actor)
        elif self.field == VETO:
            scoring.set_veto(*args, self.key, self.new, actor=actor)
        else:
            raise ValueError(f"unknown field {self.field!r}")
