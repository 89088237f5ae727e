"""Where the pilot stands (试点培育): each base's milestones done of total, its overdue
milestones and its last progress report, and the plain overdue list: the milestones
past their due day and not done, with the days overdue, and the bases with no report
for a number of days (counted from the last report, or from the pilot's start for a
base that has none). "Today" is the day in China Standard Time by the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from review_desk.audit import Clock, utc_now
from review_desk.pilot import milestone_rows, running_pilot, selected_bases
from review_desk.project import Project
from review_desk.publicity import today
from review_desk.storage import models as m

REPORT_DAYS = 90


@dataclass(frozen=True)
class OverdueMilestone:
    """A milestone past its due day and not done."""

    milestone_id: int
    dossier_id: int
    code: str
    title: str
    due_on: date
    days: int

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {**self.__dict__, "due_on": self.due_on.isoformat()}


@dataclass(frozen=True)
class SilentBase:
    """A base with no progress report for ``days`` days (since ``last_report``, or
    since the pilot started when it has none)."""

    dossier_id: int
    code: str
    last_report: date | None
    days: int

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        last = self.last_report.isoformat() if self.last_report else None
        return {**self.__dict__, "last_report": last}


@dataclass(frozen=True)
class Overdue:
    """The overdue list on ``today``."""

    today: date
    report_days: int
    milestones: list[OverdueMilestone]
    silent: list[SilentBase]

    def as_dict(self) -> dict[str, Any]:
        """As JSON data (``pilot overdue --json``)."""
        return {
            "today": self.today.isoformat(),
            "report_days": self.report_days,
            "milestones": [x.as_dict() for x in self.milestones],
            "silent": [x.as_dict() for x in self.silent],
        }


@dataclass(frozen=True)
class BaseStatus:
    """One base in the pilot status."""

    dossier_id: int
    code: str
    applicant: str
    tier: str
    done: int
    total: int
    overdue: int
    last_report: date | None

    def as_dict(self) -> dict[str, Any]:
        """As JSON data."""
        last = self.last_report.isoformat() if self.last_report else None
        return {**self.__dict__, "last_report": last}


@dataclass(frozen=True)
class PilotStatus:
    """The pilot period and each base's progress on ``today``."""

    starts_on: date
    ends_on: date
    today: date
    bases: list[BaseStatus]

    def as_dict(self) -> dict[str, Any]:
        """As JSON data (``pilot status --json``)."""
        return {
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "today": self.today.isoformat(),
            "bases": [x.as_dict() for x in self.bases],
        }


def _last_reports(session: Any) -> dict[int, date]:
    return {
        int(d): day
        for d, day in session.execute(
            select(m.PilotReport.dossier_id, func.max(m.PilotReport.submitted_on)).group_by(
                m.PilotReport.dossier_id
            )
        )
    }


def overdue(project: Project, *, report_days: int = REPORT_DAYS, clock: Clock = utc_now) -> Overdue:
    """The milestones past their due day and not done (most overdue first), and the
    bases with no report for ``report_days`` days or more."""
    day = today(clock)
    with project.reading() as session:
        period = running_pilot(session)
        bases = selected_bases(session)
        late = [
            OverdueMilestone(x.id, x.dossier_id, x.code, x.title, x.due_on, (day - x.due_on).days)
            for x in milestone_rows(session)
            if x.status != "done" and x.due_on < day and x.dossier_id in bases
        ]
        last = _last_reports(session)
    silent = []
    for base in bases.values():
        since = last.get(base.dossier_id, period.starts_on)
        if (day - since).days >= report_days:
            silent.append(
                SilentBase(
                    base.dossier_id, base.code, last.get(base.dossier_id), (day - since).days
                )
            )
    late.sort(key=lambda x: (-x.days, x.code, x.milestone_id))
    silent.sort(key=lambda x: (-x.days, x.code))
    return Overdue(day, report_days, late, silent)


def status(project: Project, *, clock: Clock = utc_now) -> PilotStatus:
    """The pilot period and, per base in the list's order, milestones done of total,
    how many are overdue, and the day of its last report."""
    day = today(clock)
    with project.reading() as session:
        period = running_pilot(session)
        bases = selected_bases(session)
        rows = milestone_rows(session)
        last = _last_reports(session)
    result = []
    for base in bases.values():
        mine = [x for x in rows if x.dossier_id == base.dossier_id]
        result.append(
            BaseStatus(
                base.dossier_id,
                base.code,
                base.applicant,
                base.tier,
                done=sum(x.status == "done" for x in mine),
                total=len(mine),
                overdue=sum(x.status != "done" and x.due_on < day for x in mine),
                last_report=last.get(base.dossier_id),
            )
        )
    return PilotStatus(period.starts_on, period.ends_on, day, result)
