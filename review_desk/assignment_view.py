"""The project's assignments as the experts page shows them: each dossier with its
experts (work started, recused, caught by a conflict rule), each expert's load, and
every conflict the rules catch. Reading only; :mod:`review_desk.assigning` makes the
assignments and explains them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from review_desk import conflicts
from review_desk.conflicts import Conflict
from review_desk.project import Project
from review_desk.storage import models as m


@dataclass(frozen=True)
class AssignedExpert:
    """An expert assigned to a dossier, and what stands in the way of their scores."""

    id: int
    name: str
    started: bool  # has a score sheet on the dossier
    recused: bool
    conflict: str  # the reasons of the conflict rules that catch the pair, or ""

    @property
    def blocked(self) -> bool:
        """True when the expert's scores on the dossier do not count."""
        return self.recused or bool(self.conflict)


@dataclass(frozen=True)
class DossierAssignment:
    """A dossier and its assigned experts."""

    id: int
    code: str
    applicant: str
    direction_number: int
    direction: str
    experts: tuple[AssignedExpert, ...]

    @property
    def active(self) -> int:
        """The number of assigned experts whose scores count."""
        return sum(not e.blocked for e in self.experts)


@dataclass(frozen=True)
class ExpertLoad:
    """An expert's load: dossiers assigned, scoring started, and blocked pairs."""

    id: int
    name: str
    organisation: str
    assigned: int
    started: int
    blocked: int


@dataclass(frozen=True)
class AssignmentOverview:
    """Everything the assignment view shows."""

    dossiers: tuple[DossierAssignment, ...]
    loads: tuple[ExpertLoad, ...]
    conflicts: tuple[Conflict, ...]


def overview(project: Project) -> AssignmentOverview:
    """Read the assignments, loads and conflicts of the project."""
    found = tuple(conflicts.conflicts(project))
    caught: dict[tuple[int, int], list[str]] = defaultdict(list)
    for conflict in found:
        caught[(conflict.expert_id, conflict.dossier_id)].append(conflict.reason)
    with project.reading() as session:
        experts = {e.id: e for e in session.scalars(select(m.Expert).order_by(m.Expert.id))}
        recused = {
            (int(e), int(d))
            for e, d in session.execute(select(m.Recusal.expert_id, m.Recusal.dossier_id))
        }
        started = {
            (int(e), int(d))
            for e, d in session.execute(select(m.ScoreSheet.expert_id, m.ScoreSheet.dossier_id))
        }
        assigned: dict[int, list[int]] = defaultdict(list)
        for expert_id, dossier_id in session.execute(
            select(m.Assignment.expert_id, m.Assignment.dossier_id).order_by(m.Assignment.expert_id)
        ):
            assigned[int(dossier_id)].append(int(expert_id))
        # Plain columns, not ORM objects: 50,000 dossiers in a fraction of the time.
        dossiers = session.execute(
            select(m.Dossier.id, m.Dossier.code, m.Applicant.name, m.Dossier.direction_id)
            .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
            .order_by(m.Dossier.code)
        ).all()
        direction_names = {
            int(i): str(n)
            for i, n in session.execute(select(m.Direction.id, m.Direction.short_name))
        }
        names = {e.id: e.name for e in experts.values()}
        rows = tuple(
            DossierAssignment(
                id=int(dossier_id),
                code=str(code),
                applicant=str(applicant),
                direction_number=int(direction),
                direction=str(direction_names.get(direction, "")),
                experts=tuple(
                    AssignedExpert(
                        e,
                        names[e],
                        (e, dossier_id) in started,
                        (e, dossier_id) in recused,
                        "；".join(caught.get((e, dossier_id), [])),
                    )
                    for e in assigned.get(dossier_id, [])
                ),
            )
            for dossier_id, code, applicant, direction in dossiers
        )
    counts: dict[int, list[AssignedExpert]] = defaultdict(list)
    for row in rows:
        for expert in row.experts:
            counts[expert.id].append(expert)
    loads = tuple(
        ExpertLoad(
            e.id,
            e.name,
            e.organisation,
            len(counts[e.id]),
            sum(a.started for a in counts[e.id]),
            sum(a.blocked for a in counts[e.id]),
        )
        for e in experts.values()
    )
    return AssignmentOverview(rows, loads, found)
