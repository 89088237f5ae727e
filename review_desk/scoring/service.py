"""The score-sheet service: the only code that changes an expert's score sheet.

The scoring desk, the Excel score workbooks and the signed return packages all come
here with a list of changes. One validated :func:`apply_in_session` checks, once for
all of them: the assignment and recusal, that the sheet is not submitted, that each
criterion exists and applies to the applicant's kind, range and step, veto ids, text
lengths, and on submission that the sheet is complete. It runs under the write lock
(get-or-create of the sheet included), writes one audit entry per call naming who
acted and on whose behalf, and records where the content came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import SheetStatus
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import active_rubric, load_rubric, rubric_text
from review_desk.scoring import totals
from review_desk.scoring.state import (
    DRAFT,
    NOT_STARTED,
    SUBMITTED,
    ScoringError,
    SheetBusy,
    SheetState,
    current_sheet,
    field_value,
    missing_for_submit,
    set_field,
    standing,
    state_of,
)
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy, lock_for_write
from scoring_models.rubric import Rubric

# Longest texts a sheet takes (characters): far beyond any real opinion, short enough
# that a pasted document cannot bloat the project and its audit log.
MAX_OPINION, MAX_COMMENT, MAX_VETO_REASON = 20_000, 5_000, 2_000


class Field(StrEnum):
    """The fields of a score sheet a change can touch."""

    SCORE = "score"
    COMMENT = "comment"
    OPINION = "opinion"
    VETO = "veto"


class Source(StrEnum):
    """Where a sheet's content came from."""

    DESK = "desk"
    EXCEL = "excel"
    RETURN_PACKAGE = "return_package"
    WORK_PACKAGE = "work_package"


@dataclass(frozen=True)
class Change:
    """Set one field: a criterion's points (None clears), a criterion's comment, the
    opinion (``key`` empty), or a veto's reason (None clears the flag)."""

    field: Field
    key: str
    value: Any


@dataclass(frozen=True)
class Applied:
    """What a call of the service did: the sheet afterwards, and each change that
    altered something with the value it replaced."""

    state: SheetState
    changed: tuple[tuple[Change, Any], ...]
    submitted: bool

    def previous(self, field: Field, key: str) -> Any:
        """Return the value a change of ``field``/``key`` replaced (its current value
        when it changed nothing)."""
        for change, old in self.changed:
            if change.field == field and change.key == key:
                return old
        return _value_in(self.state, Change(field, key, None))


def _value_in(state: SheetState, change: Change) -> Any:
    return field_value(state, str(change.field), change.key)


def _set_in(state: SheetState, change: Change) -> None:
    set_field(state, str(change.field), change.key, change.value)


def _text(value: Any, limit: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScoringError(tr("{what}: not text.", what=what))
    if len(value) > limit:
        raise ScoringError(
            tr(
                "{what}: {n} characters, at most {max} are kept.",
                what=what,
                n=len(value),
                max=limit,
            )
        )
    return value


def validate(change: Change, rubric: Rubric, kind: str) -> Change:
    """Return the change in its stored form, or raise ScoringError saying what is wrong."""
    try:
        field = Field(change.field)
    except ValueError as error:
        raise ScoringError(tr("Unknown field {field}.", field=change.field)) from error
    if field in (Field.SCORE, Field.COMMENT):
        try:
            criterion = rubric.criterion(str(change.key))
        except KeyError as error:
            raise ScoringError(tr("No criterion {id} in the rubric.", id=change.key)) from error
        if not criterion.applies(kind):
            raise ScoringError(
                tr(
                    "{id} {name} does not apply to this applicant.",
                    id=criterion.id,
                    name=criterion.name,
                )
            )
        if field == Field.COMMENT:
            return Change(field, criterion.id, _text(change.value, MAX_COMMENT, criterion.id))
        value = change.value
        if value is None:
            return Change(field, criterion.id, None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScoringError(tr("{name}: not a number.", name=criterion.name))
        points = float(value)
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
        return Change(field, criterion.id, points)
    if field == Field.OPINION:
        return Change(field, "", _text(change.value, MAX_OPINION, _("Review opinion")))
    if str(change.key) not in {v.id for v in rubric.vetoes}:
        raise ScoringError(tr("No veto item {id} in the rubric.", id=change.key))
    if change.value is None:
        return Change(field, str(change.key), None)
    return Change(field, str(change.key), _text(change.value, MAX_VETO_REASON, str(change.key)))


# Rubric versions by content hash: a hash names one text, whatever the project, so a
# version read once need not be read again at every save.
_VERSIONS: dict[str, Rubric] = {}


def _rubric(session: Session, content_hash: str) -> Rubric:
    known = _VERSIONS.get(content_hash)
    if known is not None:
        return known
    text = rubric_text(session, content_hash)
    if text is None:
        raise ScoringError(_("The sheet's rubric is missing from the project."))
    _VERSIONS[content_hash] = version = load_rubric(text)
    return version


def _write(sheet: m.ScoreSheet, change: Change) -> None:
    """Put one validated change into the stored sheet."""
    if change.field in (Field.SCORE, Field.COMMENT):
        row = next((s for s in sheet.scores if s.criterion_id == change.key), None)
        if row is None:
            row = m.Score(criterion_id=change.key, points=None, comment="")
            sheet.scores.append(row)
        if change.field == Field.SCORE:
            row.points = change.value
        else:
            row.comment = change.value
        if row.points is None and not row.comment:
            sheet.scores.remove(row)
    elif change.field == Field.OPINION:
        sheet.opinion = change.value
    else:
        flag = next((v for v in sheet.vetoes if v.veto_id == change.key), None)
        if change.value is None:
            if flag is not None:
                sheet.vetoes.remove(flag)
        elif flag is None:
            sheet.vetoes.append(m.VetoFlag(veto_id=change.key, reason=change.value))
        else:
            flag.reason = change.value


def _audited(change: Change, value: Any) -> Any:
    """A value as the audit log keeps it: long texts by their length and hash in the
    "before" half (the previous entry holds them whole), so that an editing session's
    entries grow with what was typed, not with its square."""
    if change.field in (Field.OPINION, Field.COMMENT) and isinstance(value, str) and value:
        return {"length": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()}
    return value


def apply_in_session(
    session: Session,
    expert_id: int,
    dossier_id: int,
    changes: Iterable[Change],
    *,
    actor: str,
    source: Source = Source.DESK,
    source_sha256: str | None = None,
    submit: bool = False,
    rubric_hash: str | None = None,
    submitted_at: datetime | None = None,
    clock: Clock = utc_now,
    locked: bool = False,
) -> Applied:
    """Validate and write changes to one expert's sheet of one dossier (and submit it
    when ``submit``), inside the caller's transaction: all of them or, on the first
    problem, a ScoringError and nothing. ``rubric_hash`` pins the rubric version the
    changes were made against (a workbook's or a package's). ``locked``: the caller's
    transaction holds the lock ``expert:ID`` already."""
    if not locked:
        lock_for_write(session, key=f"expert:{expert_id}")
    problem, kind = standing(session, expert_id, dossier_id)
    if problem:
        raise ScoringError(problem)
    if kind is None:
        raise ScoringError(tr("No dossier with id {id}.", id=dossier_id))
    sheet = current_sheet(session, expert_id, dossier_id)
    if sheet is not None and rubric_hash and sheet.rubric_hash != rubric_hash:
        raise ScoringError(_("the sheet is scored against another rubric version"))
    # The project record only when it is needed: a new sheet's rubric, a submission.
    info = session.scalars(select(m.ReviewProject)).one() if sheet is None or submit else None
    content_hash = (
        sheet.rubric_hash if sheet else (rubric_hash or (info and info.active_rubric_hash))
    )
    if not content_hash:
        raise _NoActiveRubric(_("The project has no rubric in use yet."))
    rubric = _rubric(session, content_hash)
    state = (
        state_of(sheet)
        if sheet
        else SheetState(expert_id, dossier_id, None, NOT_STARTED, content_hash)
    )
    changed: list[tuple[Change, Any]] = []
    for raw in changes:
        change = validate(raw, rubric, kind)
        old = _value_in(state, change)
        if old != change.value and not (old == "" and change.value is None):
            changed.append((change, old))
            _set_in(state, change)
    if state.status == SUBMITTED and changed:
        raise ScoringError(_("The sheet has been submitted and is locked."))
    if submit:
        if state.status == SUBMITTED:
            raise ScoringError(_("The sheet has already been submitted."))
        assert info is not None
        missing = missing_for_submit(state, rubric, kind, info.min_opinion_length)
        if missing:
            raise ScoringError(_("The sheet is not complete:") + "\n" + "\n".join(missing))
    if not changed and not submit:
        return Applied(state, (), False)
    now = clock()
    created = sheet is None
    if sheet is None:
        sheet = m.ScoreSheet(
            expert_id=expert_id,
            dossier_id=dossier_id,
            rubric_hash=content_hash,
            status=DRAFT,
            opinion="",
            updated_at=now,
        )
        session.add(sheet)
    for change, _old in changed:
        _write(sheet, change)
    sheet.updated_at = now
    sheet.source, sheet.source_sha256, sheet.entered_by = str(source), source_sha256, actor
    if submit:
        sheet.status = SUBMITTED
        sheet.submitted_at = submitted_at or now
    session.flush()  # the scores first: a change of a score clears the stored totals
    if created or any(c.field == Field.SCORE for c, _old in changed):
        summed = totals.of_scores(rubric, kind, ((s.criterion_id, s.points) for s in sheet.scores))
        totals.store(session, [(sheet.id, *summed)])
    after: dict[str, Any] = {
        "dossier_id": dossier_id,
        "changes": [{"field": str(c.field), "key": c.key, "value": c.value} for c, _old in changed],
    }
    if source != Source.DESK:
        after["source"] = str(source)
        if source_sha256:
            after["source_sha256"] = source_sha256
    if actor != f"expert:{expert_id}":
        after["on_behalf_of"] = f"expert:{expert_id}"
    if submit:
        after.update(
            rubric_hash=sheet.rubric_hash, scores=dict(state.scores), vetoes=dict(state.vetoes)
        )
    audit.record(
        session,
        actor=actor,
        action="scoresheet.submit" if submit else "sheet.change",
        entity="score_sheet",
        entity_id=sheet.id,
        before={
            "changes": [
                {"field": str(c.field), "key": c.key, "value": _audited(c, old)}
                for c, old in changed
            ]
        },
        after=after,
        clock=clock,
    )
    final = replace(state, sheet_id=sheet.id, status=SheetStatus(sheet.status), updated_at=now)
    return Applied(final, tuple(changed), submit)


class SheetContent(Protocol):
    """A whole sheet as another copy of the project holds it (a return package's sheet,
    a work package's)."""

    @property
    def rubric_hash(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def opinion(self) -> str: ...
    @property
    def submitted_at(self) -> datetime | None: ...
    @property
    def scores(self) -> dict[str, float]: ...
    @property
    def comments(self) -> dict[str, str]: ...
    @property
    def vetoes(self) -> dict[str, str]: ...


def match_in_session(
    session: Session,
    expert_id: int,
    dossier_id: int,
    content: SheetContent,
    *,
    actor: str,
    source: Source,
    source_sha256: str | None = None,
    clock: Clock = utc_now,
) -> bool:
    """Make this copy's sheet hold exactly ``content`` (submitted when it is), as the
    changes that take it there, through :func:`apply_in_session`; return False when it
    already did."""
    sheet = current_sheet(session, expert_id, dossier_id)
    state = (
        state_of(sheet)
        if sheet is not None
        else SheetState(expert_id, dossier_id, None, NOT_STARTED, content.rubric_hash)
    )
    changes: list[Change] = []
    for key in sorted(set(content.scores) | set(state.scores)):
        if state.scores.get(key) != content.scores.get(key):
            changes.append(Change(Field.SCORE, key, content.scores.get(key)))
    for key in sorted(set(content.comments) | set(state.comments)):
        if state.comments.get(key, "") != content.comments.get(key, ""):
            changes.append(Change(Field.COMMENT, key, content.comments.get(key, "")))
    if state.opinion != content.opinion:
        changes.append(Change(Field.OPINION, "", content.opinion))
    for key in sorted(set(content.vetoes) | set(state.vetoes)):
        if state.vetoes.get(key) != content.vetoes.get(key):
            changes.append(Change(Field.VETO, key, content.vetoes.get(key)))
    submit = content.status == SUBMITTED and not state.locked
    if not changes and not submit:
        return False
    apply_in_session(
        session,
        expert_id,
        dossier_id,
        changes,
        actor=actor,
        source=source,
        source_sha256=source_sha256,
        submit=submit,
        rubric_hash=content.rubric_hash,
        submitted_at=content.submitted_at,
        clock=clock,
    )
    return True


class _NoActiveRubric(ScoringError):
    """No rubric has been made active yet (a new project): the default is installed."""


def apply(
    project: Project,
    expert_id: int,
    dossier_id: int,
    changes: Iterable[Change] = (),
    *,
    actor: str = "",
    source: Source = Source.DESK,
    submit: bool = False,
    attempts: int = 1,
    clock: Clock = utc_now,
) -> Applied:
    """Apply changes to a sheet in one durable transaction (see :func:`apply_in_session`).

    ``actor`` defaults to the expert. When another writer holds the project past the
    busy timeout, the call is tried ``attempts`` times in all, then raises SheetBusy.
    """
    changes = tuple(changes)

    def work(session: Session) -> Applied:
        return apply_in_session(
            session,
            expert_id,
            dossier_id,
            changes,
            actor=actor or f"expert:{expert_id}",
            source=source,
            submit=submit,
            clock=clock,
            locked=True,  # by project.write, below
        )

    try:
        try:
            return project.write(work, key=f"expert:{expert_id}", attempts=attempts)
        except _NoActiveRubric:
            active_rubric(project)  # a new project: install the default rubric, once
            return project.write(work, key=f"expert:{expert_id}", attempts=attempts)
    except ProjectBusy as busy:
        raise SheetBusy(busy) from busy


def reopen(
    project: Project, sheet_id: int, reason: str, *, actor: str = "agency", clock: Clock = utc_now
) -> None:
    """Reopen a submitted sheet (the agency's decision, with a written reason)."""
    if len(reason.strip()) < 4:
        raise ScoringError(_("Write the reason for reopening the sheet."))

    def work(session: Session) -> None:
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

    try:
        project.write(work)
    except ProjectBusy as busy:
        raise SheetBusy(busy) from busy
