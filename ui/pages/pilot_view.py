"""What the 试点培育 page shows, read off the UI thread (``read_page``: the pilot period,
each selected base's status, what is overdue, the base histories), and how its rows read
as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from review_desk import objections, pilot, pilot_status
from review_desk.i18n import _, tr
from review_desk.pilot import BaseHistory, MilestoneRow, ReportRow
from review_desk.pilot_status import BaseStatus, Overdue, PilotStatus
from review_desk.project import Project


@dataclass(frozen=True)
class BaseLine:
    """A row of the bases table: the base's status, its platform and the days since its
    last report (or since the pilot started)."""

    status: BaseStatus
    platform: str
    days_since: int
    silent: bool

    @property
    def late(self) -> bool:
        """Overdue milestones, or no report for too long."""
        return self.status.overdue > 0 or self.silent


@dataclass(frozen=True)
class PilotRead:
    """What the page shows, read off the UI thread."""

    published: date | None
    status: PilotStatus | None = None
    overdue: Overdue | None = None
    bases: list[BaseLine] = field(default_factory=list)
    histories: dict[int, BaseHistory] = field(default_factory=dict)


def read_page(project: Project) -> PilotRead:
    """Everything the page shows (the period, each base's status and history, what is
    overdue), read at once."""
    with project.reading() as session:
        started = pilot.pilot_period(session) is not None
        try:
            published: date | None = pilot.publication_day(session)
        except pilot.PilotError:
            published = None
    if not started:
        return PilotRead(published)
    state = pilot_status.status(project)
    late = pilot_status.overdue(project)
    silent = {x.dossier_id for x in late.silent}
    labels = dict(objections.dossier_choices(project))
    bases = []
    for base in state.bases:
        since = base.last_report or state.starts_on
        label = labels.get(base.dossier_id, "")
        platform = label[len(base.code) + 1 :] if label.startswith(base.code + " ") else label
        bases.append(
            BaseLine(base, platform, (state.today - since).days, base.dossier_id in silent)
        )
    with project.reading() as session:
        histories = {b.dossier_id: pilot.base_history(session, b.dossier_id) for b in state.bases}
    return PilotRead(published, state, late, bases, histories)


def milestone_state(row: MilestoneRow, day: date) -> str:
    """A milestone's state as users read it: done, open, or overdue by some days."""
    if row.status == "done":
        return _("done")
    if row.due_on < day:
        return tr("overdue {days} days", days=(day - row.due_on).days)
    return _("open")


def period_text(read: PilotRead) -> str:
    """One line on the pilot period."""
    state = read.status
    if state is not None:
        start, end = state.starts_on.isoformat(), state.ends_on.isoformat()
        if state.today > state.ends_on:
            return tr("Pilot period {start} to {end}; it has ended.", start=start, end=end)
        if state.today < state.starts_on:
            return tr("Pilot period {start} to {end}; it has not begun.", start=start, end=end)
        return tr(
            "Pilot period {start} to {end}; today is day {day} of the pilot.",
            start=start,
            end=end,
            day=(state.today - state.starts_on).days + 1,
        )
    if read.published is None:
        return _("The pilot has not started: the list has not been published yet.")
    return tr(
        "The pilot has not started. The list was published on {day}.",
        day=read.published.isoformat(),
    )


def covers_text(row: ReportRow) -> str:
    """The period a report covers, or a dash."""
    if row.covers_from is None and row.covers_to is None:
        return "—"
    return tr(
        "{start} to {end}",
        start=row.covers_from.isoformat() if row.covers_from else "…",
        end=row.covers_to.isoformat() if row.covers_to else "…",
    )
