"""What the publicity list says of where it stands (名单版本与异议处理情况): the version
of the finalised list it is made from and its content hash, whether it has been
published (正式发布) and on which day, and, once objections were recorded, how each was
closed (dossier, day received, outcome, the committee's reason) and whether the list
was revised for them (版本 N-1 → N). The PDF and the Excel sheet of the publicity list
print the same text from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from review_desk.formatting import CHINA_TZ
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.publicity import current_period, latest_list
from review_desk.storage import models as m


@dataclass(frozen=True)
class ObjectionOutcome:
    """How one objection stands, as the published document shows it (never its
    objector)."""

    code: str
    received_on: date
    status: str  # open, investigating, upheld, dismissed
    reason: str  # the committee's written reason, empty while undecided


@dataclass(frozen=True)
class ListStanding:
    """The list's version and the state of its publicity period and objections."""

    version: int = 1
    opened_version: int | None = None  # the version the period was opened on
    period: tuple[date, date] | None = None  # the period's first and last day
    published_on: date | None = None
    objections: tuple[ObjectionOutcome, ...] = field(default_factory=tuple)

    @property
    def revised(self) -> bool:
        """Whether the list was revised during the publicity period."""
        return self.opened_version is not None and self.version > self.opened_version


def list_standing(project: Project) -> ListStanding:
    """The latest list's version, its publicity period and its objections."""
    from review_desk.objections import list_objections

    with project.reading() as session:
        final = latest_list(session)
        period = current_period(session)
        opened = None
        if period is not None and period.final_list_id is not None:
            opened_list = session.get(m.FinalList, period.final_list_id)
            opened = opened_list.version if opened_list is not None else None
    objections = tuple(
        ObjectionOutcome(row.code, row.received_on, row.status, row.decision_reason)
        for row in list_objections(project)
    )
    return ListStanding(
        version=final.version if final is not None else 1,
        opened_version=opened,
        period=(period.starts_on, period.ends_on) if period is not None else None,
        published_on=period.published_at.astimezone(CHINA_TZ).date()
        if period is not None and period.published_at is not None
        else None,
        objections=objections,
    )


def outcome_label(status: str) -> str:
    """An objection's outcome as the published document names it."""
    if status == "upheld":
        return _("Objection upheld")
    if status == "dismissed":
        return _("Objection dismissed")
    return _("Being handled")


def version_line(standing: ListStanding, content_hash: str) -> str:
    """The list's version and full content hash."""
    return tr(
        "List version: version {version}; content hash (SHA-256): {hash}.",
        version=standing.version,
        hash=content_hash,
    )


def objections_summary(standing: ListStanding) -> str:
    """The sentence above the objections' table."""
    return tr(
        "{count} objections were received during the publicity period; they were handled "
        "as follows.",
        count=len(standing.objections),
    )


def revision_line(standing: ListStanding) -> str:
    """Whether the objections revised the list, and from which version to which."""
    if standing.revised:
        return tr(
            "The list was revised for the upheld objections (version {before} → {after}).",
            before=standing.opened_version,
            after=standing.version,
        )
    return _("The list was not revised.")


def objection_headers() -> list[str]:
    """The columns of the objections' table."""
    return [
        _("No."),
        _("Dossier code"),
        _("Day received"),
        _("Outcome of the objection"),
        _("The committee's reason"),
    ]


def objection_values(number: int, objection: ObjectionOutcome) -> list[str]:
    """One objection's cells, in :func:`objection_headers`'s order."""
    return [
        str(number),
        objection.code,
        objection.received_on.isoformat(),
        outcome_label(objection.status),
        objection.reason,
    ]
