"""The models of the pilot year (试点培育): the pilot period of the published list, each
selected base's milestones (建设进度节点), progress reports (进展报告) with their links to
milestones, and the agency's notes. Imported into :mod:`review_desk.storage.models`,
where every model is reached (``m.PilotMilestone``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from review_desk.storage.base import Base


class PilotPeriod(Base):
    """The one-year pilot (试点培育期) of the bases on the published list: its first and
    last day and the list version it runs on. One per project."""

    __tablename__ = "pilot_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    final_list_id: Mapped[int] = mapped_column(ForeignKey("final_list.id"))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String)


class PilotMilestone(Base):
    """A milestone (建设进度节点) of a base: a title, a due day and a description; open,
    or done on a day with a note. ``source`` says where it came from: ``manual``,
    ``import`` (an Excel sheet) or ``plan`` (proposed from the dossier's plan)."""

    __tablename__ = "pilot_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)  # open, done
    done_on: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String)


class PilotReport(Base):
    """A progress report (进展报告) of a base: a file kept in the project's file store
    under its SHA-256 like a dossier's material, the day submitted, the period it covers
    and a summary."""

    __tablename__ = "pilot_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(BigInteger)
    submitted_on: Mapped[date] = mapped_column(Date)
    covers_from: Mapped[date | None] = mapped_column(Date)
    covers_to: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String)


class PilotReportMilestone(Base):
    """A milestone a progress report reports on."""

    __tablename__ = "pilot_report_milestone"

    report_id: Mapped[int] = mapped_column(ForeignKey("pilot_report.id"), primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("pilot_milestone.id"), primary_key=True)


class PilotNote(Base):
    """A note by the agency on a base during the pilot."""

    __tablename__ = "pilot_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String)
    written_at: Mapped[datetime]
