"""The expert's score sheet: reading it, changing it, submitting it, and the agency
reopening it.

Every change goes through one service (:mod:`review_desk.scoring.service`), whatever its
source: the scoring desk, an Excel score workbook, a signed return package. Who may do
what: an expert scores only dossiers assigned to them and not recused, only criteria
that apply to the applicant's kind; a submitted sheet is locked until the agency
reopens it with a reason. Every change is in the audit log.

The ``set_*`` functions below are the desk's one-field shorthands; each is one durable
transaction, so an autosaving desk loses nothing it showed as saved.
"""

from __future__ import annotations

from review_desk.audit import Clock, utc_now
from review_desk.project import Project
from review_desk.scoring.service import Applied, Change, Field, Source, apply, reopen
from review_desk.scoring.state import (
    DRAFT,
    NOT_STARTED,
    SUBMITTED,
    ScoringError,
    SheetBusy,
    SheetState,
    load_sheet,
    missing_for_submit,
    rubric_of,
)

__all__ = [
    "DRAFT",
    "NOT_STARTED",
    "SUBMITTED",
    "Applied",
    "Change",
    "Field",
    "ScoringError",
    "SheetBusy",
    "SheetState",
    "Source",
    "apply",
    "load_sheet",
    "missing_for_submit",
    "reopen",
    "rubric_of",
    "set_comment",
    "set_opinion",
    "set_score",
    "set_veto",
    "submit",
]


def _one(
    project: Project,
    expert_id: int,
    dossier_id: int,
    change: Change,
    actor: str,
    clock: Clock,
) -> object:
    applied = apply(project, expert_id, dossier_id, [change], actor=actor, clock=clock)
    return applied.previous(change.field, change.key)


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
    change = Change(Field.SCORE, criterion_id, points)
    return _one(project, expert_id, dossier_id, change, actor, clock)  # type: ignore[return-value]


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
    change = Change(Field.COMMENT, criterion_id, comment)
    return str(_one(project, expert_id, dossier_id, change, actor, clock) or "")


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
    change = Change(Field.OPINION, "", opinion)
    return str(_one(project, expert_id, dossier_id, change, actor, clock) or "")


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
    change = Change(Field.VETO, veto_id, reason)
    return _one(project, expert_id, dossier_id, change, actor, clock)  # type: ignore[return-value]


def submit(
    project: Project, expert_id: int, dossier_id: int, *, actor: str = "", clock: Clock = utc_now
) -> SheetState:
    """Submit (提交) a complete sheet; it is locked afterwards."""
    return apply(project, expert_id, dossier_id, submit=True, actor=actor, clock=clock).state
