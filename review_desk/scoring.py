"""The expert's score sheet: reading it, changing one value at a time (each change is
its own durable transaction, so an autosaving desk loses nothing it showed as saved),
submitting it, and the agency reopening it.

Who may do what: an expert scores only dossiers assigned to them and not recused; a
submitted sheet is locked until the agency reopens it with a reason. Every change is
in the audit log with its before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.storage import models as m
from scoring_models.rubric import Rubric

DRAFT, SUBMITTED, NOT_STARTED = "draft", "submitted", "not_started"


class ScoringError(Exception):
    """A scoring action that is not allowed or not valid; the message is for the user."""


@dataclass
class SheetState:
    """What a score sheet holds, for the desk."""

    expert_id: int
    dossier_id: int
    sheet_id: int | None
    status: str
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


def _assignment_check(session: Session, expert_id: int, dossier_id: int) -> None:
    recused = session.scalar(
        select(m.Recusal.id).where(
            m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == dossier_id
        )
    )
    if recused is not None:
        raise ScoringError(_("You have recused yourself from this dossier and cannot score it."))
    assigned = session.scalar(
        select(m.Assignment.id).where(
            m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id
        )
    )
    if assigned is None:
        raise ScoringError(_("This dossier is not assigned to you."))


def _sheet(session: Session, expert_id: int, dossier_id: int) -> m.ScoreSheet | None:
    return session.scalars(
        select(m.ScoreSheet)
        .where(m.ScoreSheet.expert_id == expert_id, m.ScoreSheet.dossier_id == dossier_id)
        .order_by(m.ScoreSheet.id.desc())
    ).first()


def load_sheet(project: Project, expert_id: int, dossier_id: int) -> SheetState:
    """Return the expert's sheet for a dossier (an empty one when not started)."""
    with project.reading() as session:
        _assignment_check(session, expert_id, dossier_id)
        sheet = _sheet(session, expert_id, dossier_id)
        if sheet is None:
            return SheetState(
                expert_id, dossier_id, None, NOT_STARTED, active_rubric(project).content_hash
            )
        return SheetState(
            expert_id=expert_id,
            dossier_id=dossier_id,
            sheet_id=sheet.id,
            status=sheet.status,
            rubric_hash=sheet.rubric_hash,
            scores={s.criterion_id: s.points for s in sheet.scores if s.points is not None},
            comments={s.criterion_id: s.comment for s in sheet.scores if s.comment},
            opinion=sheet.opinion,
            vetoes={v.veto_id: v.reason for v in sheet.vetoes},
            updated_at=sheet.updated_at,
        )


def rubric_of(project: Project, state: SheetState) -> Rubric:
    """Return the rubric version a sheet is scored against."""
    rubric = rubric_by_hash(project, state.rubric_hash)
    return rubric if rubric is not None else active_rubric(project)


def _editable_sheet(
    session: Session, project: Project, expert_id: int, dossier_id: int, clock: Clock
) -> m.ScoreSheet:
    _assignment_check(session, expert_id, dossier_id)
    sheet = _sheet(session, expert_id, dossier_id)
    if sheet is None:
        info = session.scalars(select(m.ReviewProject)).one()
        rubric_hash = info.active_rubric_hash or active_rubric(project).content_hash
        sheet = m.ScoreSheet(
            expert_id=expert_id,
            dossier_id=dossier_id,
            rubric_hash=rubric_hash,
            status=DRAFT,
            opinion="",
            updated_at=clock(),
        )
        session.add(sheet)
        session.flush()
    elif sheet.status == SUBMITTED:
        raise ScoringError(_("The sheet has been submitted and is locked."))
    return sheet


def set_score(
    project: Project,
    expert_id: int,
    dossier_id: int,
    criterion_id: str,
    points: float | None,
    *,
    actor: str = "",
    clock: Clock = utc_now,
) -> float | None:
    """Set (or with None clear) the points of one criterion; return the previous value."""
    with project.transaction() as session:
        sheet = _editable_sheet(session, project, expert_id, dossier_id, clock)
        rubric = rubric_by_hash(project, sheet.rubric_hash)
        if rubric is None:
            raise ScoringError(_("The sheet's rubric is missing from the project."))
        try:
            criterion = rubric.criterion(criterion_id)
        except KeyError as error:
            raise ScoringError(tr("No criterion {id} in the rubric.", id=criterion_id)) from error
        if points is not None:
            problem = criterion.check(points)
            if problem is not None:
                template, values = problem
                raise ScoringError(
                    tr(
                        "{name}: {points} is {problem}.",
                        name=criterion.name,
                        points=f"{points:g}",
                        problem=tr(template, **values),
                    )
                )
        row = next((s for s in sheet.scores if s.criterion_id == criterion_id), None)
        before = row.points if row else None
        if before == points:
            return before
        if row is None:
            row = m.Score(criterion_id=criterion_id, points=points, comment="")
            sheet.scores.append(row)
        else:
            row.points = points
        sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor or f"expert:{expert_id}",
            action="score.set",
            entity="score_sheet",
            entity_id=sheet.id,
            before={"criterion": criterion_id, "points": before},
            after={"criterion": criterion_id, "points": points},
            clock=clock,
        )
    return before


def set_comment(
    project: Project,
    expert_id: int,
    dossier_id: int,
    criterion_id: str,
    comment: str,
    *,
    actor: str = "",
    clock: Clock = utc_now,
) -> str:
    """Set the comment on one criterion; return the previous comment."""
    with project.transaction() as session:
        sheet = _editable_sheet(session, project, expert_id, dossier_id, clock)
        row = next((s for s in sheet.scores if s.criterion_id == criterion_id), None)
        before = row.comment if row else ""
        if before == comment:
            return before
        if row is None:
            sheet.scores.append(m.Score(criterion_id=criterion_id, points=None, comment=comment))
        else:
            row.comment = comment
        sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor or f"expert:{expert_id}",
            action="score.comment",
            entity="score_sheet",
            entity_id=sheet.id,
            before={"criterion": criterion_id, "comment": before},
            after={"criterion": criterion_id, "comment": comment},
            clock=clock,
        )
    return before


def set_opinion(
    project: Project,
    expert_id: int,
    dossier_id: int,
    opinion: str,
    *,
    actor: str = "",
    clock: Clock = utc_now,
) -> str:
    """Set the overall review opinion (评审意见); return the previous text."""
    with project.transaction() as session:
        sheet = _editable_sheet(session, project, expert_id, dossier_id, clock)
        before = sheet.opinion
        if before == opinion:
            return before
        sheet.opinion = opinion
        sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor or f"expert:{expert_id}",
            action="sheet.opinion",
            entity="score_sheet",
            entity_id=sheet.id,
            before={"opinion": before},
            after={"opinion": opinion},
            clock=clock,
        )
    return before


def set_veto(
    project: Project,
    expert_id: int,
    dossier_id: int,
    veto_id: str,
    reason: str | None,
    *,
    actor: str = "",
    clock: Clock = utc_now,
) -> str | None:
    """Flag a veto item with a reason (None clears it); return the previous reason."""
    with project.transaction() as session:
        sheet = _editable_sheet(session, project, expert_id, dossier_id, clock)
        rubric = rubric_by_hash(project, sheet.rubric_hash)
        if rubric is None or veto_id not in {v.id for v in rubric.vetoes}:
            raise ScoringError(tr("No veto item {id} in the rubric.", id=veto_id))
        row = next((v for v in sheet.vetoes if v.veto_id == veto_id), None)
        before = row.reason if row else None
        if before == reason:
            return before
        if reason is None:
            if row is not None:
                sheet.vetoes.remove(row)
        elif row is None:
            sheet.vetoes.append(m.VetoFlag(veto_id=veto_id, reason=reason))
        else:
            row.reason = reason
        sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor or f"expert:{expert_id}",
            action="sheet.veto",
            entity="score_sheet",
            entity_id=sheet.id,
            before={"veto": veto_id, "reason": before},
            after={"veto": veto_id, "reason": reason},
            clock=clock,
        )
    return before


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


def submit(
    project: Project, expert_id: int, dossier_id: int, *, actor: str = "", clock: Clock = utc_now
) -> SheetState:
    """Submit (提交) a complete sheet; it is locked afterwards."""
    state = load_sheet(project, expert_id, dossier_id)
    if state.locked:
        raise ScoringError(_("The sheet has already been submitted."))
    rubric = rubric_of(project, state)
    with project.reading() as session:
        dossier = session.get(m.Dossier, dossier_id)
        assert dossier is not None
        kind = dossier.lead_applicant.kind
        min_opinion = session.scalars(select(m.ReviewProject)).one().min_opinion_length
    missing = missing_for_submit(state, rubric, kind, min_opinion)
    if missing:
        raise ScoringError(_("The sheet is not complete:") + "\n" + "\n".join(missing))
    with project.transaction() as session:
        sheet = _editable_sheet(session, project, expert_id, dossier_id, clock)
        sheet.status = SUBMITTED
        sheet.submitted_at = sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor or f"expert:{expert_id}",
            action="scoresheet.submit",
            entity="score_sheet",
            entity_id=sheet.id,
            after={
                "dossier_id": dossier_id,
                "rubric_hash": sheet.rubric_hash,
                "scores": state.scores,
                "vetoes": state.vetoes,
            },
            clock=clock,
        )
    return load_sheet(project, expert_id, dossier_id)


def reopen(
    project: Project, sheet_id: int, reason: str, *, actor: str = "agency", clock: Clock = utc_now
) -> None:
    """Reopen a submitted sheet (the agency's decision, with a written reason)."""
    if len(reason.strip()) < 4:
        raise ScoringError(_("Write the reason for reopening the sheet."))
    with project.transaction() as session:
        sheet = session.get(m.ScoreSheet, sheet_id)
        if sheet is None or sheet.status != SUBMITTED:
            raise ScoringError(_("Only a submitted sheet can be reopened."))
        sheet.status = DRAFT
        sheet.submitted_at = None
        sheet.updated_at = clock()
        audit.record(
            session,
            actor=actor,
            action="scoresheet.reopen",
            entity="score_sheet",
            entity_id=sheet.id,
            before={"status": SUBMITTED},
            after={"status": DRAFT, "reason": reason.strip()},
            clock=clock,
        )
