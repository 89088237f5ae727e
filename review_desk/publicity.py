"""The publicity period (公示期) of the finalised list, and its publication (正式发布).

The agency opens the period on the latest finalised list with its dates and a contact
for objections; objections are recorded and decided meanwhile (see
:mod:`review_desk.objections`); once the last day has passed the period is closed, and
the list in force (the latest version, revised for any upheld objection) is published
under its content hash. Publication is refused while an objection is open or under
investigation, while an upheld objection has not yet revised the list, and before the
period's last day has passed. Dates are days in China Standard Time; "today" comes from
the injectable clock, as the audit log's times do. Each step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.formatting import CHINA_TZ
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage import models as m

PENDING = ("open", "investigating")
OUTCOMES = ("upheld", "dismissed")


class PublicityError(UserError):
    """A publicity or objection step that cannot be taken; the message is for the user."""


def today(clock: Clock = utc_now) -> date:
    """The day in China Standard Time by ``clock``."""
    return clock().astimezone(CHINA_TZ).date()


def latest_list(session: Session) -> m.FinalList | None:
    """The finalised list in force: its latest version, or None."""
    return session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()


def current_period(session: Session) -> m.PublicityPeriod | None:
    """The latest publicity period, or None."""
    return session.scalars(select(m.PublicityPeriod).order_by(m.PublicityPeriod.id.desc())).first()


def open_period_in(session: Session) -> m.PublicityPeriod:
    """The period objections are recorded in: the latest, not yet published; a
    :class:`PublicityError` when there is none."""
    period = current_period(session)
    if period is None:
        raise PublicityError(_("No publicity period has been opened."))
    if period.published_at is not None:
        raise PublicityError(_("The list has been published: the publicity period is over."))
    return period


def open_period(
    project: Project,
    *,
    starts_on: date,
    ends_on: date,
    contact: str,
    note: str = "",
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Open the publicity period of the latest finalised list; return its id."""
    if ends_on < starts_on:
        raise PublicityError(_("The publicity period ends before it starts."))
    if len(contact.strip()) < 2:
        raise PublicityError(_("Give a contact for objections (telephone, e-mail or address)."))
    with project.writing(key="audit") as session:
        final = latest_list(session)
        if final is None:
            raise PublicityError(_("The list is not finalised yet: there is nothing to publicise."))
        period = current_period(session)
        if period is not None and period.published_at is None:
            raise PublicityError(_("A publicity period is already open."))
        if period is not None:
            raise PublicityError(_("The list has been published: the publicity period is over."))
        period = m.PublicityPeriod(
            opened_at=clock(),
            opened_by=actor,
            starts_on=starts_on,
            ends_on=ends_on,
            contact=contact.strip(),
            note=note.strip(),
            final_list_id=final.id,
        )
        session.add(period)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="publicity.open",
            entity="publicity_period",
            entity_id=period.id,
            after={
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "contact": period.contact,
                "content_hash": final.content_hash,
                "version": final.version,
            },
            clock=clock,
        )
        return int(period.id)


def _refuse_before_end(period: m.PublicityPeriod, clock: Clock) -> None:
    """Refuse while the period's last day has not passed."""
    if today(clock) <= period.ends_on:
        raise PublicityError(
            tr(
                "The publicity period runs until {day}: wait until it has ended.",
                day=period.ends_on.isoformat(),
            )
        )


def _close_in(session: Session, period: m.PublicityPeriod, actor: str, clock: Clock) -> None:
    """Close ``period`` in ``session`` and audit it."""
    period.closed_at, period.closed_by = clock(), actor
    audit.record(
        session,
        actor=actor,
        action="publicity.close",
        entity="publicity_period",
        entity_id=period.id,
        after={"ends_on": period.ends_on.isoformat()},
        clock=clock,
    )


def close_period(project: Project, *, actor: str = "agency", clock: Clock = utc_now) -> None:
    """Close the publicity period once its last day has passed (no objection is
    recorded after that)."""
    with project.writing(key="audit") as session:
        period = open_period_in(session)
        if period.closed_at is not None:
            raise PublicityError(_("The publicity period is closed already."))
        _refuse_before_end(period, clock)
        _close_in(session, period, actor, clock)


def _pending(session: Session, period_id: int) -> list[int]:
    """The ids of the period's objections still open or under investigation."""
    return list(
        session.scalars(
            select(m.Objection.id)
            .where(m.Objection.period_id == period_id, m.Objection.status.in_(PENDING))
            .order_by(m.Objection.id)
        )
    )


def publish(project: Project, *, actor: str = "agency", clock: Clock = utc_now) -> str:
    """Publish the list in force (正式发布) and return its content hash. Refused before
    the period's last day has passed, while any objection is open or under
    investigation, and while an upheld objection has not revised the list. Closes the
    period first when it is still open."""
    with project.writing(key="audit") as session:
        period = open_period_in(session)
        _refuse_before_end(period, clock)
        pending = _pending(session, period.id)
        if pending:
            raise PublicityError(
                tr(
                    "{count} objections are still open or under investigation "
                    "(No. {ids}): decide them before publishing.",
                    count=len(pending),
                    ids=_(", ").join(str(i) for i in pending),
                )
            )
        unrevised = list(
            session.scalars(
                select(m.Objection.id).where(
                    m.Objection.period_id == period.id,
                    m.Objection.status == "upheld",
                    m.Objection.resulting_list_id.is_(None),
                )
            )
        )
        if unrevised:
            raise PublicityError(
                tr(
                    "Upheld objections No. {ids} have not yet revised the list.",
                    ids=_(", ").join(str(i) for i in unrevised),
                )
            )
        final = latest_list(session)
        assert final is not None  # a period is opened on a finalised list
        if period.closed_at is None:
            _close_in(session, period, actor, clock)
        period.published_at, period.published_by = clock(), actor
        period.published_hash = final.content_hash
        audit.record(
            session,
            actor=actor,
            action="publicity.publish",
            entity="publicity_period",
            entity_id=period.id,
            after={"content_hash": final.content_hash, "version": final.version},
            clock=clock,
        )
        return final.content_hash


@dataclass(frozen=True)
class PublicityStatus:
    """What the publicity period stands at: its dates and state, the list in force, and
    the objections counted by status."""

    period_id: int | None
    starts_on: date | None
    ends_on: date | None
    contact: str
    state: str  # none, open, closed, published
    list_version: int | None
    content_hash: str | None
    published_hash: str | None
    objections: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """As JSON data (``publicity-period status --json``)."""
        return {
            "period_id": self.period_id,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "contact": self.contact,
            "state": self.state,
            "list_version": self.list_version,
            "content_hash": self.content_hash,
            "published_hash": self.published_hash,
            "objections": self.objections,
        }


def status(project: Project) -> PublicityStatus:
    """The publicity period's state, for the command line and the page."""
    with project.reading() as session:
        final = latest_list(session)
        period = current_period(session)
        counts = {s: 0 for s in (*PENDING, *OUTCOMES)}
        if period is not None:
            for state, count in session.execute(
                select(m.Objection.status, func.count())
                .where(m.Objection.period_id == period.id)
                .group_by(m.Objection.status)
            ):
                counts[str(state)] = int(count)
        if period is None:
            state = "none"
        elif period.published_at is not None:
            state = "published"
        elif period.closed_at is not None:
            state = "closed"
        else:
            state = "open"
        return PublicityStatus(
            period_id=period.id if period else None,
            starts_on=period.starts_on if period else None,
            ends_on=period.ends_on if period else None,
            contact=period.contact if period else "",
            state=state,
            list_version=final.version if final else None,
            content_hash=final.content_hash if final else None,
            published_hash=period.published_hash if period else None,
            objections=counts,
        )
