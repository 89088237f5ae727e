"""The hybrid defense (互联网+现场答辩) and the video inspection (视频转播考察): sessions
with their dossiers in order, each dossier's defense record (attendees, presentation
length, questions and answers, the panel's notes) and inspection record. The scores of
these stages are entered in the experts' score sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import DefenseMode
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage import models as m


class DefenseError(UserError):
    """A defense or inspection action that is not valid; the message is for the user."""


@dataclass(frozen=True)
class DefenseQuestion:
    """A question put at a defense, who asked it, and the applicant's answer."""

    asker: str
    question: str
    answer: str = ""

    def to_json(self) -> dict[str, str]:
        """The question as stored (a JSON object in the record's list)."""
        return {"asker": self.asker, "question": self.question, "answer": self.answer}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DefenseQuestion:
        """A question as stored; a missing part reads as empty."""
        return cls(
            asker=str(data.get("asker", "")),
            question=str(data.get("question", "")),
            answer=str(data.get("answer", "")),
        )

    def line(self) -> str:
        """``asker：question —— answer``, as the workbook and the notes list show it."""
        return f"{self.asker}：{self.question} —— {self.answer}"


@dataclass(frozen=True)
class SessionRow:
    """A defense session with its dossiers in order."""

    id: int
    name: str
    starts_at: datetime
    mode: DefenseMode
    platform: str
    meeting_id: str
    room: str
    presentation_minutes: int
    qa_minutes: int
    records: tuple[RecordRow, ...]


@dataclass(frozen=True)
class RecordRow:
    """One dossier's defense record."""

    id: int
    order: int
    dossier_id: int
    code: str
    applicant: str
    platform_name: str
    attendees: str
    presentation_minutes: float | None
    questions: tuple[DefenseQuestion, ...]
    notes: str


@dataclass(frozen=True)
class InspectionRow:
    """One dossier's inspection record (or an empty one: no id, no time)."""

    dossier_id: int
    code: str
    applicant: str
    id: int | None = None
    inspected_at: datetime | None = None
    site: str = ""
    shown: str = ""
    findings: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ExpertNoteRow:
    """One expert's own defense or inspection record of a dossier (from a return)."""

    kind: str  # defense, inspection
    dossier_id: int
    code: str
    applicant: str
    expert: str
    at: datetime | None
    attendees_or_shown: str
    presentation_minutes: float | None
    questions_or_findings: str
    notes: str
    site: str = ""


def expert_notes(project: Project) -> list[ExpertNoteRow]:
    """Return every expert's own defense and inspection notes, by dossier and expert.

    They arrive in the experts' return packages and are kept per expert, apart from the
    panel's shared records, so that one expert's import never overwrites another's.
    """
    rows: list[ExpertNoteRow] = []
    with project.reading() as session:
        for note in session.scalars(
            select(m.DefenseNote).options(
                selectinload(m.DefenseNote.dossier).selectinload(m.Dossier.lead_applicant),
                selectinload(m.DefenseNote.expert),
            )
        ):
            questions = "\n".join(DefenseQuestion.from_json(q).line() for q in note.questions or ())
            rows.append(
                ExpertNoteRow(
                    "defense",
                    note.dossier_id,
                    note.dossier.code,
                    note.dossier.lead_applicant.name,
                    note.expert.name,
                    note.updated_at,
                    note.attendees,
                    note.presentation_minutes,
                    questions,
                    note.notes,
                )
            )
        for found in session.scalars(
            select(m.InspectionNote).options(
                selectinload(m.InspectionNote.dossier).selectinload(m.Dossier.lead_applicant),
                selectinload(m.InspectionNote.expert),
            )
        ):
            rows.append(
                ExpertNoteRow(
                    "inspection",
                    found.dossier_id,
                    found.dossier.code,
                    found.dossier.lead_applicant.name,
                    found.expert.name,
                    found.inspected_at,
                    found.shown,
                    None,
                    found.findings,
                    found.notes,
                    found.site,
                )
            )
    rows.sort(key=lambda r: (r.code, r.kind, r.expert))
    return rows


def panel_dossier_ids(project: Project, panel_id: int) -> list[int]:
    """Return the dossiers of a panel's directions, by dossier code: the order in which
    a new defense session of that panel hears them."""
    with project.reading() as session:
        directions = select(m.PanelDirection.direction_id).where(
            m.PanelDirection.panel_id == panel_id
        )
        return list(
            session.scalars(
                select(m.Dossier.id)
                .where(m.Dossier.direction_id.in_(directions))
                .order_by(m.Dossier.code)
            )
        )


def create_session(
    project: Project,
    *,
    name: str,
    starts_at: datetime,
    mode: DefenseMode | str,
    dossier_ids: list[int],
    platform: str = "",
    meeting_id: str = "",
    room: str = "",
    presentation_minutes: int = 15,
    qa_minutes: int = 10,
    panel_id: int | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Create a session with its dossiers in the given order; return its id."""
    if not name.strip():
        raise DefenseError(_("Give the session a name."))
    if starts_at.tzinfo is None:
        raise DefenseError(_("The start time needs a time zone."))
    mode = DefenseMode(mode)  # raises ValueError on an unknown mode
    if mode != DefenseMode.ON_SITE and not meeting_id.strip():
        raise DefenseError(_("An online session needs its meeting ID."))
    if mode != DefenseMode.ONLINE and not room.strip():
        raise DefenseError(_("An on-site session needs its room."))
    if not dossier_ids or len(set(dossier_ids)) != len(dossier_ids):
        raise DefenseError(_("List each dossier of the session once."))
    if presentation_minutes <= 0 or qa_minutes <= 0:
        raise DefenseError(_("The time limits must be positive."))
    with project.transaction() as session:
        record = m.DefenseSession(
            name=name.strip(),
            starts_at=starts_at,
            mode=mode.value,
            platform=platform.strip(),
            meeting_id=meeting_id.strip(),
            room=room.strip(),
            presentation_minutes=presentation_minutes,
            qa_minutes=qa_minutes,
            panel_id=panel_id,
        )
        session.add(record)
        session.flush()
        for order, dossier_id in enumerate(dossier_ids, start=1):
            if session.get(m.Dossier, dossier_id) is None:
                raise DefenseError(tr("No dossier with id {id}.", id=dossier_id))
            session.add(
                m.DefenseRecord(
                    dossier_id=dossier_id,
                    session_id=record.id,
                    order_index=order,
                    session_at=starts_at,
                    mode=mode.value,
                    platform=record.platform,
                    meeting_id=record.meeting_id,
                    room=record.room,
                    questions=[],
                )
            )
        audit.record(
            session,
            actor=actor,
            action="defense.session",
            entity="defense_session",
            entity_id=record.id,
            after={
                "name": record.name,
                "starts_at": starts_at.isoformat(),
                "mode": mode.value,
                "dossiers": dossier_ids,
            },
            clock=clock,
        )
        return record.id


def sessions(project: Project) -> list[SessionRow]:
    """Return every session with its records, in time order."""
    with project.reading() as session:
        rows = session.scalars(
            select(m.DefenseSession)
            .options(
                selectinload(m.DefenseSession.records)
                .selectinload(m.DefenseRecord.dossier)
                .selectinload(m.Dossier.lead_applicant)
            )
            .order_by(m.DefenseSession.starts_at, m.DefenseSession.id)
        ).all()
        return [
            SessionRow(
                id=s.id,
                name=s.name,
                starts_at=s.starts_at,
                mode=DefenseMode(s.mode),
                platform=s.platform,
                meeting_id=s.meeting_id,
                room=s.room,
                presentation_minutes=s.presentation_minutes,
                qa_minutes=s.qa_minutes,
                records=tuple(
                    RecordRow(
                        id=r.id,
                        order=r.order_index,
                        dossier_id=r.dossier_id,
                        code=r.dossier.code,
                        applicant=r.dossier.lead_applicant.name,
                        platform_name=r.dossier.platform_name,
                        attendees=r.attendees,
                        presentation_minutes=r.presentation_minutes,
                        questions=tuple(DefenseQuestion.from_json(q) for q in r.questions or ()),
                        notes=r.notes,
                    )
                    for r in s.records
                ),
            )
            for s in rows
        ]


def update_record(
    project: Project,
    record_id: int,
    *,
    attendees: str | None = None,
    presentation_minutes: float | None = None,
    questions: Sequence[DefenseQuestion] | None = None,
    notes: str | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Change what was recorded of a dossier's defense (only the fields given)."""
    with project.transaction() as session:
        record = session.get(m.DefenseRecord, record_id)
        if record is None:
            raise DefenseError(tr("No defense record {id}.", id=record_id))
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if presentation_minutes is not None and not 0 <= presentation_minutes <= 600:
            raise DefenseError(_("The presentation length must be between 0 and 600 minutes."))
        stored_questions = None
        if questions is not None:
            if any(not q.question.strip() for q in questions):
                raise DefenseError(_("Each question needs its text."))
            stored_questions = [
                DefenseQuestion(q.asker.strip(), q.question.strip(), q.answer.strip()).to_json()
                for q in questions
            ]
        for key, value in (
            ("attendees", attendees),
            ("presentation_minutes", presentation_minutes),
            ("questions", stored_questions),
            ("notes", notes),
        ):
            if value is not None and getattr(record, key) != value:
                before[key], after[key] = getattr(record, key), value
                setattr(record, key, value)
        if after:
            audit.record(
                session,
                actor=actor,
                action="defense.record",
                entity="defense_record",
                entity_id=record.id,
                before=before,
                after=after,
                clock=clock,
            )


def inspections(project: Project, *, recorded_only: bool = False) -> list[InspectionRow]:
    """Return every dossier with its inspection record (empty when none yet); only the
    dossiers with a record when ``recorded_only``."""
    with project.reading() as session:
        records = {r.dossier_id: r for r in session.scalars(select(m.InspectionRecord))}
        result = []
        query = (
            select(m.Dossier)
            .options(selectinload(m.Dossier.lead_applicant))
            .order_by(m.Dossier.code)
        )
        if recorded_only:
            query = query.where(m.Dossier.id.in_(select(m.InspectionRecord.dossier_id)))
        for d in session.scalars(query):
            r = records.get(d.id)
            if r is None:
                result.append(InspectionRow(d.id, d.code, d.lead_applicant.name))
                continue
            result.append(
                InspectionRow(
                    d.id,
                    d.code,
                    d.lead_applicant.name,
                    id=r.id,
                    inspected_at=r.inspected_at,
                    site=r.site,
                    shown=r.shown,
                    findings=r.findings,
                    notes=r.notes,
                )
            )
        return result


def save_inspection(
    project: Project,
    dossier_id: int,
    *,
    inspected_at: datetime,
    site: str = "",
    shown: str = "",
    findings: str = "",
    notes: str = "",
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Record (or change) a dossier's video inspection."""
    if inspected_at.tzinfo is None:
        raise DefenseError(_("The inspection time needs a time zone."))
    values = {
        "inspected_at": inspected_at,
        "site": site,
        "shown": shown,
        "findings": findings,
        "notes": notes,
    }
    with project.transaction() as session:
        if session.get(m.Dossier, dossier_id) is None:
            raise DefenseError(tr("No dossier with id {id}.", id=dossier_id))
        record = session.scalars(
            select(m.InspectionRecord).where(m.InspectionRecord.dossier_id == dossier_id)
        ).first()
        before = None
        if record is None:
            record = m.InspectionRecord(dossier_id=dossier_id, **values)
            session.add(record)
        else:
            before = {k: getattr(record, k) for k in values}
            before["inspected_at"] = before["inspected_at"].isoformat()
            for key, value in values.items():
                setattr(record, key, value)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="inspection.record",
            entity="inspection_record",
            entity_id=record.id,
            before=before,
            after={**values, "inspected_at": inspected_at.isoformat()},
            clock=clock,
        )
