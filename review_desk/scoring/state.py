"""What a score sheet holds, read for the desk, and what keeps it from being submitted.

Reading only: every change goes through :mod:`review_desk.scoring.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from review_desk.domain import SheetStatus
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy
from scoring_models.rubric import Rubric

DRAFT, SUBMITTED, NOT_STARTED = SheetStatus.DRAFT, SheetStatus.SUBMITTED, SheetStatus.NOT_STARTED


class ScoringError(UserError):
    """A scoring action that is not allowed or not valid; the message is for the user."""


class SheetBusy(ScoringError):
    """The project's write lock was held elsewhere for too long: nothing was saved, and
    the same change can be tried again."""

    def __init__(self, busy: ProjectBusy | None = None) -> None:
        super().__init__(str(busy) if busy else str(ProjectBusy()))


@dataclass
class SheetState:
    """What a score sheet holds, for the desk."""

    expert_id: int
    dossier_id: int
    sheet_id: int | None
    status: SheetStatus
    rubric_hash: str
    scores: dict[str, float] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    opinion: str = ""
    vetoes: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None

    @property
    def locked(self) -> bool:
        """True when the sheet has been submitted."""
        return self.status == SUBMITTED


def field_value(state: SheetState, field: str, key: str) -> Any:
    """Return what a sheet holds in one field: a criterion's points (``score``) or
    comment (``comment``), the ``opinion``, or a veto's reason (``veto``, None when not
    flagged)."""
    if field == "score":
        return state.scores.get(key)
    if field == "comment":
        return state.comments.get(key, "")
    if field == "opinion":
        return state.opinion
    return state.vetoes.get(key)


def set_field(state: SheetState, field: str, key: str, value: Any) -> None:
    """Put ``value`` into one field of a sheet's state (None clears it)."""
    if field == "score":
        if value is None:
            state.scores.pop(key, None)
        else:
            state.scores[key] = value
    elif field == "comment":
        if value:
            state.comments[key] = value
        else:
            state.comments.pop(key, None)
    elif field == "opinion":
        state.opinion = value or ""
    elif value is None:
        state.vetoes.pop(key, None)
    else:
        state.vetoes[key] = value


def standing(session: Session, expert_id: int, dossier_id: int) -> tuple[str | None, str | None]:
    """Why the expert may not score the dossier (recused, not assigned), or None; and
    the kind of the dossier's lead applicant (None: no such dossier). One query."""
    recused = (
        select(m.Recusal.id)
        .where(m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == dossier_id)
        .limit(1)
        .scalar_subquery()
    )
    assigned = (
        select(m.Assignment.id)
        .where(m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id)
        .limit(1)
        .scalar_subquery()
    )
    kind = (
        select(m.Applicant.kind)
        .join(m.Dossier, m.Dossier.lead_applicant_id == m.Applicant.id)
        .where(m.Dossier.id == dossier_id)
        .scalar_subquery()
    )
    row = session.execute(select(recused, assigned, kind)).one()
    if row[0] is not None:
        return _("You have recused yourself from this dossier and cannot score it."), row[2]
    if row[1] is None:
        return _("This dossier is not assigned to you."), row[2]
    return None, row[2]


def assignment_problem(session: Session, expert_id: int, dossier_id: int) -> str | None:
    """Return why the expert may not score the dossier (recused, not assigned), or None."""
    return standing(session, expert_id, dossier_id)[0]


def current_sheet(session: Session, expert_id: int, dossier_id: int) -> m.ScoreSheet | None:
    """Return the expert's newest sheet for a dossier (one per rubric version), with its
    scores and vetoes: one query for all three, since every caller reads them."""
    newest = (
        select(m.ScoreSheet.id)
        .where(m.ScoreSheet.expert_id == expert_id, m.ScoreSheet.dossier_id == dossier_id)
        .order_by(m.ScoreSheet.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        session.scalars(
            select(m.ScoreSheet)
            .where(m.ScoreSheet.id == newest)
            .options(joinedload(m.ScoreSheet.scores), joinedload(m.ScoreSheet.vetoes))
        )
        .unique()
        .first()
    )


def state_of(sheet: m.ScoreSheet) -> SheetState:
    """Return the desk's view of a stored sheet."""
    return SheetState(
        expert_id=sheet.expert_id,
        dossier_id=sheet.dossier_id,
        sheet_id=sheet.id,
        status=SheetStatus(sheet.status),
        rubric_hash=sheet.rubric_hash,
        scores={s.criterion_id: s.points for s in sheet.scores if s.points is not None},
        comments={s.criterion_id: s.comment for s in sheet.scores if s.comment},
        opinion=sheet.opinion,
        vetoes={v.veto_id: v.reason for v in sheet.vetoes},
        updated_at=sheet.updated_at,
    )


def load_sheet(project: Project, expert_id: int, dossier_id: int) -> SheetState:
    """Return the expert's sheet for a dossier (an empty one when not started)."""
    with project.reading() as session:
        problem = assignment_problem(session, expert_id, dossier_id)
        if problem:
            raise ScoringError(problem)
        sheet = current_sheet(session, expert_id, dossier_id)
        if sheet is not None:
            return state_of(sheet)
    return SheetState(expert_id, dossier_id, None, NOT_STARTED, active_rubric(project).content_hash)


def rubric_of(project: Project, state: SheetState) -> Rubric:
    """Return the rubric version a sheet is scored against."""
    rubric = rubric_by_hash(project, state.rubric_hash)
    return rubric if rubric is not None else active_rubric(project)


def missing_for_submit(state: SheetState, rubric: Rubric, kind: str, min_opinion: int) -> list[str]:
    """Return what still keeps a sheet from being submitted (empty when it can be)."""
    missing = [
        tr("{id} {name} has no score", id=c.id, name=c.name)
        for c in rubric.criteria
        if c.applies(kind) and c.id not in state.scores
    ]
    if len(state.opinion.strip()) < min_opinion:
        missing.append(
            tr(
                "the review opinion has {n} characters; at least {min} are needed",
                n=len(state.opinion.strip()),
                min=min_opinion,
            )
        )
    missing += [
        tr("veto {id} needs a reason", id=veto_id)
        for veto_id, reason in state.vetoes.items()
        if not reason.strip()
    ]
    return missing


def parse_points(text: str) -> float | None:
    """The points an expert typed: full-width digits and a comma decimal accepted;
    ``None`` for nothing typed, NaN for text that is not a number (refused where the
    value is checked against the criterion's range)."""
    import unicodedata

    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return float("nan")
