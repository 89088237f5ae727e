"""Manual changes of a dossier's experts after the assignment (issue 16, part 4: "manual
changes stay possible, recorded with a reason").

A change removes an expert from a dossier, adds one, or swaps one for another in one
transaction, under the lock the assignment itself takes (:data:`assigning.LOCK_KEY`),
and is audited as ``assignment.change`` with its reason. The same rules as the solver's
hold: an expert who has started scoring the dossier stays
(:func:`assigning.started_work`), and the expert added must not be assigned already,
nor recused, nor caught by a conflict rule for that dossier
(:func:`conflicts.find_in`). :func:`assignment_changes` reads every change back from
the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit, conflicts
from review_desk.assigning import LOCK_KEY, AssigningError, started_work
from review_desk.audit import Clock, utc_now
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage import models as m

ACTION = "assignment.change"


@dataclass(frozen=True)
class AssignmentChange:
    """A manual change of one dossier's experts, as the audit log records it."""

    at: str  # ISO time, seconds
    actor: str
    dossier_id: int
    dossier_code: str
    removed: int | None  # expert id
    removed_name: str
    added: int | None
    added_name: str
    reason: str


def _assignment(session: Session, expert_id: int, dossier_id: int) -> m.Assignment | None:
    return session.scalars(
        select(m.Assignment).where(
            m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id
        )
    ).first()


def _expert_name(session: Session, expert_id: int) -> str:
    expert = session.get(m.Expert, expert_id)
    if expert is None:
        raise AssigningError(tr("No expert with id {id}.", id=expert_id))
    return expert.name


def _check_removal(session: Session, dossier: m.Dossier, expert_id: int) -> str:
    """The removed expert's name, once the removal is allowed."""
    name = _expert_name(session, expert_id)
    if _assignment(session, expert_id, dossier.id) is None:
        raise AssigningError(
            tr(
                "Expert {expert} is not assigned to dossier {dossier}.",
                expert=name,
                dossier=dossier.code,
            )
        )
    if expert_id in started_work(session).get(dossier.id, []):
        raise AssigningError(
            tr(
                "Expert {expert} has started scoring dossier {dossier}: the assignment stays.",
                expert=name,
                dossier=dossier.code,
            )
        )
    return name


def _check_addition(session: Session, dossier: m.Dossier, expert_id: int, year: int) -> str:
    """The added expert's name, once the addition is allowed."""
    name = _expert_name(session, expert_id)
    if _assignment(session, expert_id, dossier.id) is not None:
        raise AssigningError(
            tr(
                "Expert {expert} is already assigned to dossier {dossier}.",
                expert=name,
                dossier=dossier.code,
            )
        )
    recusal = session.scalars(
        select(m.Recusal).where(
            m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == dossier.id
        )
    ).first()
    caught = conflicts.find_in(session, year=year, expert_id=expert_id, dossier_id=dossier.id)
    reasons = ([recusal.reason] if recusal is not None else []) + [c.reason for c in caught]
    if reasons:
        raise AssigningError(
            tr(
                "Expert {expert} may not review dossier {dossier}: {reason}",
                expert=name,
                dossier=dossier.code,
                reason="；".join(reasons),
            )
        )
    return name


def change_assignment(
    project: Project,
    *,
    dossier_id: int,
    remove: int | None = None,
    add: int | None = None,
    reason: str,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> AssignmentChange:
    """Remove an expert from a dossier, add one, or swap them in one transaction, with
    the reason, audited; raise :class:`AssigningError` naming what stands in the way."""
    if len(reason.strip()) < 2:
        raise AssigningError(_("Write the reason for the change."))
    if remove is None and add is None:
        raise AssigningError(_("Say which expert to remove, to add, or both."))

    def work(session: Session) -> AssignmentChange:
        dossier = session.get(m.Dossier, dossier_id)
        if dossier is None:
            raise AssigningError(tr("No dossier with id {id}.", id=dossier_id))
        removed_name = added_name = ""
        panel_id = None
        if remove is not None:
            removed_name = _check_removal(session, dossier, remove)
        if add is not None:
            added_name = _check_addition(session, dossier, add, clock().year)
        if remove is not None:
            row = _assignment(session, remove, dossier.id)
            assert row is not None  # checked above, under the lock
            panel_id = row.panel_id
            session.delete(row)
            session.flush()
        if add is not None:
            session.add(m.Assignment(expert_id=add, dossier_id=dossier.id, panel_id=panel_id))
        entry = audit.record(
            session,
            actor=actor,
            action=ACTION,
            entity="assignment",
            entity_id=dossier.id,
            after={
                "dossier": dossier.id,
                "dossier_code": dossier.code,
                "removed": remove,
                "removed_name": removed_name,
                "added": add,
                "added_name": added_name,
                "reason": reason.strip(),
            },
            clock=clock,
        )
        return _change(entry)

    return project.write(work, key=LOCK_KEY)


def _change(entry: m.AuditLog) -> AssignmentChange:
    after = entry.after or {}
    return AssignmentChange(
        at=entry.at.isoformat(timespec="seconds"),
        actor=entry.actor,
        dossier_id=int(after["dossier"]),
        dossier_code=str(after["dossier_code"]),
        removed=after["removed"],
        removed_name=str(after["removed_name"]),
        added=after["added"],
        added_name=str(after["added_name"]),
        reason=str(after["reason"]),
    )


def assignment_changes(project: Project) -> list[AssignmentChange]:
    """Every manual change of the assignments, oldest first (from the audit log)."""
    with project.reading() as session:
        entries = session.scalars(
            select(m.AuditLog).where(m.AuditLog.action == ACTION).order_by(m.AuditLog.id)
        )
        return [_change(entry) for entry in entries]
