"""The pilot year (试点培育): after the list is published, each selected base (a dossier
of the list in force with an adjusted tier provincial or municipal) runs a one-year
pilot. The agency starts the pilot (by default on the day of publication; it ends a year
later), keeps each base's milestones (建设进度节点: added one by one, imported from a
sheet, or proposed from the dossier's plan), marks them done, stores the bases' progress
reports (进展报告: files kept in the file store like dossier materials) and writes notes.

Days are days in China Standard Time by the injectable clock, as in
:mod:`review_desk.publicity`. Every change is audited. Overdue milestones and the
per-base status are in :mod:`review_desk.pilot_status`, the import of a milestone sheet
in :mod:`review_desk.pilot_import`, proposals from a plan in
:mod:`review_desk.pilot_proposals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import Tier
from review_desk.errors import UserError, file_refusal
from review_desk.formatting import CHINA_TZ
from review_desk.i18n import _, tr
from review_desk.intake.supplement import looks_like_pdf
from review_desk.pilot_plan import add_months
from review_desk.project import Project
from review_desk.publicity import current_period, latest_list, today
from review_desk.storage import models as m

SELECTED = (Tier.PROVINCIAL.value, Tier.MUNICIPAL.value)
PILOT_MONTHS = 12
MAX_REPORT_MB = 200
SOURCES = ("manual", "import", "plan")
MAX_TITLE = 200


class PilotError(UserError):
    """A pilot step that cannot be taken; the message is for the user."""


@dataclass(frozen=True)
class Base:
    """A selected base: its dossier, code, lead applicant and adjusted tier."""

    dossier_id: int
    code: str
    applicant: str
    tier: str


@dataclass(frozen=True)
class NewMilestone:
    """A milestone to store: the base, its task, due day and description."""

    dossier_id: int
    title: str
    due_on: date
    description: str = ""


def selected_bases(session: Session) -> dict[int, Base]:
    """The selected bases of the list in force (its latest version), by dossier id, in
    the list's order; empty when there is no list."""
    final = latest_list(session)
    if final is None:
        return {}
    return {
        int(row["dossier_id"]): Base(
            int(row["dossier_id"]),
            str(row["code"]),
            str(row["applicant"] or ""),
            str(row["adjusted_tier"]),
        )
        for row in final.rows
        if row.get("adjusted_tier") in SELECTED
    }


def publication_day(session: Session) -> date:
    """The day the list was published; a :class:`PilotError` before publication."""
    period = current_period(session)
    if period is None or period.published_at is None:
        raise PilotError(_("The list has not been published: the pilot starts after publication."))
    return period.published_at.astimezone(CHINA_TZ).date()


def pilot_period(session: Session) -> m.PilotPeriod | None:
    """The project's pilot period, or None before the pilot is started."""
    return session.scalars(select(m.PilotPeriod).order_by(m.PilotPeriod.id)).first()


def running_pilot(session: Session) -> m.PilotPeriod:
    """The pilot period; a :class:`PilotError` when it has not been started."""
    period = pilot_period(session)
    if period is None:
        raise PilotError(_("The pilot has not been started (review-desk pilot start)."))
    return period


def base_of(session: Session, dossier_id: int) -> Base:
    """The selected base of this dossier; a :class:`PilotError` when the dossier is not
    a selected base on the published list."""
    base = selected_bases(session).get(dossier_id)
    if base is None:
        dossier = session.get(m.Dossier, dossier_id)
        code = dossier.code if dossier is not None else str(dossier_id)
        raise PilotError(tr("{code} is not a selected base on the published list.", code=code))
    return base


def start(
    project: Project,
    *,
    starts_on: date | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> m.PilotPeriod:
    """Start the one-year pilot of the published list: from ``starts_on`` (by default
    the day of publication) to the same day a year later. Once per project."""
    with project.writing(key="audit") as session:
        published = publication_day(session)
        if pilot_period(session) is not None:
            raise PilotError(_("The pilot has been started already."))
        first = starts_on or published
        if first < published:
            raise PilotError(
                tr("The pilot cannot start before the list was published ({day}).", day=published)
            )
        final = latest_list(session)
        assert final is not None  # a published list exists
        period = m.PilotPeriod(
            starts_on=first,
            ends_on=add_months(first, PILOT_MONTHS),
            final_list_id=final.id,
            started_at=clock(),
            started_by=actor,
        )
        session.add(period)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="pilot.start",
            entity="pilot_period",
            entity_id=period.id,
            after={
                "starts_on": period.starts_on.isoformat(),
                "ends_on": period.ends_on.isoformat(),
                "list_version": final.version,
                "bases": len(selected_bases(session)),
            },
            clock=clock,
        )
        session.expunge(period)
        return period


def _checked(item: NewMilestone) -> NewMilestone:
    title = " ".join(item.title.split())
    if len(title) < 2:
        raise PilotError(_("Write the milestone's task."))
    if len(title) > MAX_TITLE:
        raise PilotError(tr("A milestone's task has at most {count} characters.", count=MAX_TITLE))
    return NewMilestone(item.dossier_id, title, item.due_on, item.description.strip())


def add_milestones(
    project: Project,
    items: Sequence[NewMilestone],
    *,
    source: str = "manual",
    actor: str = "agency",
    clock: Clock = utc_now,
) -> list[int]:
    """Store milestones, all or none, each audited; return their ids. A milestone the
    base has already (same task, same due day) is not stored twice."""
    if source not in SOURCES:
        raise PilotError(tr("Unknown milestone source {source}.", source=source))
    checked = [_checked(item) for item in items]
    ids: list[int] = []
    with project.writing(key="audit") as session:
        running_pilot(session)
        existing = {
            (x.dossier_id, x.title, x.due_on) for x in session.scalars(select(m.PilotMilestone))
        }
        for item in checked:
            base_of(session, item.dossier_id)
            if (item.dossier_id, item.title, item.due_on) in existing:
                continue
            existing.add((item.dossier_id, item.title, item.due_on))
            milestone = m.PilotMilestone(
                dossier_id=item.dossier_id,
                title=item.title,
                due_on=item.due_on,
                description=item.description,
                source=source,
                status="open",
                done_note="",
                created_at=clock(),
                created_by=actor,
            )
            session.add(milestone)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="pilot.milestone.add",
                entity="pilot_milestone",
                entity_id=milestone.id,
                after={
                    "dossier": item.dossier_id,
                    "title": item.title,
                    "due_on": item.due_on.isoformat(),
                    "description": item.description,
                    "source": source,
                },
                clock=clock,
            )
            ids.append(int(milestone.id))
    return ids


def mark_done(
    project: Project,
    milestone_id: int,
    *,
    done_on: date | None = None,
    note: str = "",
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Mark a milestone done on ``done_on`` (today by default, not in the future) with a
    note."""
    day = done_on or today(clock)
    if day > today(clock):
        raise PilotError(_("The day done cannot be in the future."))
    with project.writing(key="audit") as session:
        running_pilot(session)
        milestone = session.get(m.PilotMilestone, milestone_id)
        if milestone is None:
            raise PilotError(tr("No milestone No. {id}.", id=milestone_id))
        if milestone.status == "done":
            raise PilotError(
                tr(
                    "Milestone No. {id} was done on {day} already.",
                    id=milestone_id,
                    day=milestone.done_on,
                )
            )
        milestone.status, milestone.done_on, milestone.done_note = "done", day, note.strip()
        audit.record(
            session,
            actor=actor,
            action="pilot.milestone.done",
            entity="pilot_milestone",
            entity_id=milestone.id,
            before={"status": "open"},
            after={"status": "done", "done_on": day.isoformat(), "note": milestone.done_note},
            clock=clock,
        )


def add_report(
    project: Project,
    dossier_id: int,
    file: Path,
    *,
    submitted_on: date,
    covers_from: date | None = None,
    covers_to: date | None = None,
    summary: str = "",
    milestone_ids: Sequence[int] = (),
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Store a base's progress report (a PDF, kept byte for byte in the file store under
    its SHA-256) with the day submitted, the period covered, a summary and the
    milestones it reports on; return its id."""
    refusal = file_refusal(file)
    if refusal is not None:
        raise PilotError(refusal)
    if file.stat().st_size == 0:
        raise PilotError(
            tr("{path} is an empty file (0 bytes): it is no progress report.", path=file)
        )
    if file.suffix.lower() != ".pdf" or not looks_like_pdf(file):
        raise PilotError(tr("{name} is not a PDF file.", name=file.name))
    if file.stat().st_size > MAX_REPORT_MB << 20:
        raise PilotError(
            tr("{name} is larger than {limit} MB.", name=file.name, limit=MAX_REPORT_MB)
        )
    if submitted_on > today(clock):
        raise PilotError(_("The day submitted cannot be in the future."))
    if covers_from and covers_to and covers_to < covers_from:
        raise PilotError(_("The period a report covers ends before it starts."))
    with project.reading() as session:
        running_pilot(session)
        base_of(session, dossier_id)
    sha, size = project.files.put_file(file)
    with project.writing(key="audit") as session:
        running_pilot(session)
        base_of(session, dossier_id)
        linked = sorted(set(milestone_ids))
        for milestone_id in linked:
            milestone = session.get(m.PilotMilestone, milestone_id)
            if milestone is None or milestone.dossier_id != dossier_id:
                raise PilotError(tr("No milestone No. {id} of this base.", id=milestone_id))
        report = m.PilotReport(
            dossier_id=dossier_id,
            name=file.name,
            sha256=sha,
            size=size,
            submitted_on=submitted_on,
            covers_from=covers_from,
            covers_to=covers_to,
            summary=summary.strip(),
            added_at=clock(),
            added_by=actor,
        )
        session.add(report)
        session.flush()
        session.add_all(m.PilotReportMilestone(report_id=report.id, milestone_id=i) for i in linked)
        audit.record(
            session,
            actor=actor,
            action="pilot.report.add",
            entity="pilot_report",
            entity_id=report.id,
            after={
                "dossier": dossier_id,
                "name": file.name,
                "sha256": sha,
                "size": size,
                "submitted_on": submitted_on.isoformat(),
                "covers_from": covers_from.isoformat() if covers_from else None,
                "covers_to": covers_to.isoformat() if covers_to else None,
                "summary": report.summary,
                "milestones": linked,
            },
            clock=clock,
        )
        return int(report.id)


def add_note(
    project: Project,
    dossier_id: int,
    text: str,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Write the agency's note on a base; return its id."""
    if len(text.strip()) < 2:
        raise PilotError(_("Write the note."))
    with project.writing(key="audit") as session:
        running_pilot(session)
        base_of(session, dossier_id)
        note = m.PilotNote(
            dossier_id=dossier_id, text=text.strip(), author=actor, written_at=clock()
        )
        session.add(note)
        session.flush()
        entry = audit.record(
            session,
            actor=actor,
            action="pilot.note.add",
            entity="pilot_note",
            entity_id=note.id,
            after={"dossier": dossier_id, "text": note.text},
            clock=clock,
        )
        note.author = entry.actor  # on a server, the login that wrote it
        return int(note.id)


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone as the lists and the history show it."""

    id: int
    dossier_id: int
    code: str
    title: str
    due_on: date
    description: str
    source: str
    status: str
    done_on: date | None
    done_note: str

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return _plain(self.__dict__)


@dataclass(frozen=True)
class ReportRow:
    """A progress report as the history shows it."""

    id: int
    dossier_id: int
    name: str
    sha256: str
    size: int
    submitted_on: date
    covers_from: date | None
    covers_to: date | None
    summary: str
    milestones: list[int]

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return _plain(self.__dict__)


@dataclass(frozen=True)
class NoteRow:
    """An agency's note on a base."""

    id: int
    dossier_id: int
    text: str
    author: str
    written_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return _plain(self.__dict__)


@dataclass(frozen=True)
class BaseHistory:
    """A base's pilot so far: its milestones (by due day), reports and notes (oldest
    first)."""

    base: Base
    milestones: list[MilestoneRow]
    reports: list[ReportRow]
    notes: list[NoteRow]

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "base": dict(self.base.__dict__),
            "milestones": [x.as_dict() for x in self.milestones],
            "reports": [x.as_dict() for x in self.reports],
            "notes": [x.as_dict() for x in self.notes],
        }


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def milestone_rows(session: Session, dossier_id: int | None = None) -> list[MilestoneRow]:
    """The milestones (of one base, or of all), by base code then due day."""
    query = select(m.PilotMilestone, m.Dossier.code).join(
        m.Dossier, m.Dossier.id == m.PilotMilestone.dossier_id
    )
    if dossier_id is not None:
        query = query.where(m.PilotMilestone.dossier_id == dossier_id)
    rows = session.execute(
        query.order_by(m.Dossier.code, m.PilotMilestone.due_on, m.PilotMilestone.id)
    ).all()
    return [
        MilestoneRow(
            x.id,
            x.dossier_id,
            code,
            x.title,
            x.due_on,
            x.description,
            x.source,
            x.status,
            x.done_on,
            x.done_note,
        )
        for x, code in rows
    ]


def list_milestones(project: Project, dossier_id: int | None = None) -> list[MilestoneRow]:
    """The milestones (of one base, or of all), by base code then due day."""
    with project.reading() as session:
        return milestone_rows(session, dossier_id)


def _history(session: Session, dossier_id: int) -> BaseHistory:
    base = base_of(session, dossier_id)
    links: dict[int, list[int]] = {}
    for link in session.scalars(
        select(m.PilotReportMilestone)
        .join(m.PilotReport, m.PilotReport.id == m.PilotReportMilestone.report_id)
        .where(m.PilotReport.dossier_id == dossier_id)
        .order_by(m.PilotReportMilestone.milestone_id)
    ):
        links.setdefault(link.report_id, []).append(link.milestone_id)
    reports = [
        ReportRow(
            r.id,
            r.dossier_id,
            r.name,
            r.sha256,
            r.size,
            r.submitted_on,
            r.covers_from,
            r.covers_to,
            r.summary,
            links.get(r.id, []),
        )
        for r in session.scalars(
            select(m.PilotReport)
            .where(m.PilotReport.dossier_id == dossier_id)
            .order_by(m.PilotReport.submitted_on, m.PilotReport.id)
        )
    ]
    notes = [
        NoteRow(n.id, n.dossier_id, n.text, n.author, n.written_at)
        for n in session.scalars(
            select(m.PilotNote).where(m.PilotNote.dossier_id == dossier_id).order_by(m.PilotNote.id)
        )
    ]
    return BaseHistory(base, milestone_rows(session, dossier_id), reports, notes)


def base_history(session_or_project: Session | Project, dossier_id: int) -> BaseHistory:
    """A base's milestones, progress reports and notes (for the history view); a
    :class:`PilotError` when the dossier is not a selected base."""
    if isinstance(session_or_project, Project):
        with session_or_project.reading() as session:
            return _history(session, dossier_id)
    return _history(session_or_project, dossier_id)
