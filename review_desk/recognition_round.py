"""Making a recognition round (认定验收) from a selection round: one database holds one
review project, so the recognition round is a project of its own (``kind`` =
'recognition'), created from the selection project's finalised list in force.

It takes the bases selected there (the latest list version's rows with an adjusted tier
of provincial or municipal) with the same codes, lead applicants and partners,
directions, and the level they were selected at as the dossier's requested level; and
the expert pool, so that panels are drawn and assigned as in any round. It records the
selection project it came from (id, name, round name, list version and content hash,
location as given); the selection project records the link back
(``recognition_link``), so that a base's history finds its recognition outcome. Both
are audited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.atomic_file import owned_partial, stale_partials
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project, files_dir_for
from review_desk.storage import models as m
from review_desk.storage.copy_rows import set_sequences

# The tiers of a finalised list that are selected bases.
SELECTED_TIERS = ("provincial", "municipal")
RECOGNITION = "recognition"

# The columns copied as they are (ids are the new project's own).


class RecognitionError(UserError):
    """A recognition-round action that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class SelectedBases:
    """What a recognition round is made from: the selection project's record, its list
    in force and the selected rows of it."""

    project_id: str
    name: str
    round_name: str
    list_version: int
    list_hash: str
    rows: list[dict[str, Any]]
    organiser: str = ""
    agency: str = ""


def selected_bases(session: Session) -> SelectedBases:
    """The selected bases of a selection project's latest finalised list version;
    refused when the project is not a selection round or its list is not finalised."""
    record = session.scalars(select(m.ReviewProject)).one()
    if record.kind != "selection":
        raise RecognitionError(_("A recognition round is made from a selection project."))
    final = session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()
    if final is None:
        raise RecognitionError(
            _("The selection list is not finalised: a recognition round takes its bases from it.")
        )
    rows = [r for r in final.rows if r.get("adjusted_tier") in SELECTED_TIERS]
    if not rows:
        raise RecognitionError(_("The finalised selection list has no selected base."))
    return SelectedBases(
        record.id,
        record.name,
        record.round_name,
        final.version,
        final.content_hash,
        rows,
        record.organiser,
        record.agency,
    )


@dataclass
class _Copied:
    """What a recognition round copies from its selection project, as plain rows: the
    selected dossiers (with the tier each was selected at), their lead applicants and
    partners, the expert pool and the conflict rules."""

    tiers: dict[str, str]
    applicants: list[dict[str, Any]]
    dossiers: list[dict[str, Any]]
    partners: list[dict[str, Any]]
    experts: list[dict[str, Any]]
    rules: list[dict[str, Any]]


def _read_copied(session: Session, bases: SelectedBases) -> _Copied:
    """Read what the round copies as plain columns (a national list selects tens of
    thousands of bases: ORM objects would cost seconds; an IN list of every code could
    pass the database's limit on parameters)."""
    tiers = {str(r["code"]): str(r["adjusted_tier"]) for r in bases.rows}
    dossier = m.Dossier.__table__
    dossiers = [
        dict(row._mapping)
        for row in session.execute(
            select(
                dossier.c.id,
                dossier.c.code,
                dossier.c.platform_name,
                dossier.c.lead_applicant_id,
                dossier.c.direction_id,
                dossier.c.has_policy_list,
            ).order_by(dossier.c.code)
        )
        if row.code in tiers
    ]
    chosen = {d["id"] for d in dossiers}
    partner = m.DossierPartner.__table__
    partners = [
        dict(row._mapping)
        for row in session.execute(
            select(partner.c.dossier_id, partner.c.applicant_id, partner.c.role).order_by(
                partner.c.id
            )
        )
        if row.dossier_id in chosen
    ]
    needed = {d["lead_applicant_id"] for d in dossiers} | {p["applicant_id"] for p in partners}
    applicant = m.Applicant.__table__
    applicants = [
        dict(row._mapping)
        for row in session.execute(select(applicant).order_by(applicant.c.id))
        if row.id in needed
    ]
    expert, rule = m.Expert.__table__, m.ConflictRule.__table__
    experts = [
        {k: v for k, v in row._mapping.items() if k != "id"}
        for row in session.execute(select(expert).order_by(expert.c.id))
    ]
    rules = [dict(row._mapping) for row in session.execute(select(rule))]
    return _Copied(tiers, applicants, dossiers, partners, experts, rules)


def _table(model: Any) -> Table:
    """A model's table, for Core inserts (an executemany without the ORM's per-row
    bookkeeping)."""
    return cast(Table, model.__table__)


def _inserted(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` of ``model`` at once, numbered after the table's highest id (one
    executemany: RETURNING the ids of a large executemany is quadratic in SQLAlchemy's
    SQLite path); their new ids in the rows' order. On PostgreSQL the caller moves the
    sequences past them (``copy_rows.set_sequences``)."""
    first = int(session.scalar(select(func.max(model.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    if rows:
        session.execute(
            insert(_table(model)), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
        )
    return ids


def _write_copied(session: Session, copied: _Copied) -> None:
    """Insert the copied rows into the new round (new ids; the links follow them)."""
    applicant_ids = dict(
        zip(
            (a["id"] for a in copied.applicants),
            _inserted(
                session,
                m.Applicant,
                [{k: v for k, v in a.items() if k != "id"} for a in copied.applicants],
            ),
            strict=True,
        )
    )
    dossier_ids = dict(
        zip(
            (d["id"] for d in copied.dossiers),
            _inserted(
                session,
                m.Dossier,
                [
                    {
                        "code": d["code"],
                        "platform_name": d["platform_name"],
                        "lead_applicant_id": applicant_ids[d["lead_applicant_id"]],
                        "direction_id": d["direction_id"],
                        "requested_level": copied.tiers[d["code"]],
                        "has_policy_list": d["has_policy_list"],
                        "received_at": None,
                        "status": "received",
                    }
                    for d in copied.dossiers
                ],
            ),
            strict=True,
        )
    )
    if copied.partners:
        session.execute(
            insert(_table(m.DossierPartner)),
            [
                {
                    "dossier_id": dossier_ids[p["dossier_id"]],
                    "applicant_id": applicant_ids[p["applicant_id"]],
                    "role": p["role"],
                }
                for p in copied.partners
            ],
        )
    if copied.experts:
        session.execute(insert(_table(m.Expert)), copied.experts)
    if copied.rules:
        session.execute(insert(_table(m.ConflictRule)), copied.rules)
    set_sequences(session.connection())


def create_round(
    selection: str | Path,
    location: str | Path,
    *,
    round_name: str,
    name: str | None = None,
    actor: str = "agency",
    files_dir: Path | None = None,
    clock: Clock = utc_now,
) -> Project:
    """Create the recognition round at ``location`` (a new project file or an empty
    server database) from the selection project at ``selection``, and return it open.
    ``round_name`` names the round (e.g. 首批认定验收); ``name`` the project (the round's
    name when not given)."""
    round_name = round_name.strip()
    if not round_name:
        raise RecognitionError(_("Name the recognition round (--round-name)."))
    with Project(selection) as source, source.reading() as session:
        bases = selected_bases(session)
        copied = _read_copied(session, bases)
    # A file is built beside its place and moved there whole, so that a process killed
    # part-way leaves no half-made round where the user asked for one.
    building = _building_file(location)
    project = Project.create(
        building or location,
        name=(name or "").strip() or round_name,
        round_name=round_name,
        actor=actor,
        files_dir=files_dir or (files_dir_for(location) if building else None),
        clock=clock,
    )
    try:
        with project.transaction() as session:
            record = session.scalars(select(m.ReviewProject)).one()
            record.kind = RECOGNITION
            record.organiser, record.agency = bases.organiser, bases.agency
            record.source_project_id = bases.project_id
            record.source_name = bases.name
            record.source_round_name = bases.round_name
            record.source_list_version = bases.list_version
            record.source_list_hash = bases.list_hash
            record.source_location = absolute_location(selection)
            _write_copied(session, copied)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="recognition.create",
                entity="review_project",
                entity_id=record.id,
                after={
                    "round_name": round_name,
                    "source_project": bases.project_id,
                    "source_name": bases.name,
                    "source_round_name": bases.round_name,
                    "source_list_version": bases.list_version,
                    "source_list_hash": bases.list_hash,
                    "source_location": absolute_location(selection),
                    "bases": sorted(copied.tiers),
                    "experts": len(copied.experts),
                },
                clock=clock,
            )
            project_id = record.id
        if building is not None:
            project.close()
            _move_into_place(building, Path(location))
            project = Project(location, files_dir=files_dir)
        _link_back(selection, location, project_id, round_name, bases.list_hash, actor, clock)
    except BaseException:
        project.close()
        if building is not None:
            _remove_database(building)
        raise
    return project


def _building_file(location: str | Path) -> Path | None:
    """Where a new project file is built before it is moved to ``location`` (None for
    a server database, filled in one transaction where it is)."""
    if "://" in str(location):
        return None
    target = Path(location)
    if target.exists():
        raise RecognitionError(tr("{path} already exists.", path=target))
    for left in stale_partials(target, "creating"):  # by a create killed part-way
        left.unlink(missing_ok=True)
    return owned_partial(target, "creating")


def _move_into_place(building: Path, target: Path) -> None:
    """Move the finished project file to ``target`` in one step, never over a file that
    appeared there meanwhile."""
    try:
        os.link(building, target)
    except FileExistsError as error:
        _remove_database(building)
        raise RecognitionError(tr("{path} already exists.", path=target)) from error
    except OSError:  # no hard links on this file system: a rename, checked just before
        if target.exists():
            _remove_database(building)
            raise RecognitionError(tr("{path} already exists.", path=target)) from None
        os.replace(building, target)
        return
    building.unlink()


def _remove_database(path: Path) -> None:
    """Remove an SQLite file and its journal files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _link_back(
    selection: str | Path,
    location: str | Path,
    project_id: str,
    round_name: str,
    list_hash: str,
    actor: str,
    clock: Clock,
) -> None:
    """Record in the selection project the recognition round made from it (a file by
    its absolute path, so that the link holds from any working folder)."""
    location = absolute_location(location)
    with Project(selection) as source, source.transaction() as session:
        link = m.RecognitionLink(
            location=location,
            project_id=project_id,
            round_name=round_name,
            list_hash=list_hash,
            created_at=clock(),
            created_by=actor,
        )
        session.add(link)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="recognition.link",
            entity="recognition_link",
            entity_id=link.id,
            after={"location": location, "project_id": project_id, "round_name": round_name},
            clock=clock,
        )


def absolute_location(location: str | Path) -> str:
    """A project file's absolute path; a server URL as it is."""
    text = str(location)
    return text if "://" in text else str(Path(text).resolve())


def linked_location(selection: Project, stored: str) -> str:
    """Where a linked round is now: its stored location, or, for a file moved together
    with its selection project, the file of the same name beside the selection
    project."""
    if "://" in stored or Path(stored).exists():
        return stored
    beside = Path(str(selection.location)).resolve().parent / Path(stored).name
    return str(beside) if beside.exists() else stored


@dataclass(frozen=True)
class LinkedOutcome:
    """A base's outcome in a recognition round linked to its selection project."""

    round_name: str
    location: str
    outcome: str | None  # None: the round's list is not finalised (or not reachable)
    reason: str
    note: str = ""


def linked_outcomes(project: Project, code: str) -> list[LinkedOutcome]:
    """A selection project's base ``code`` in every recognition round made from it:
    its finalised outcome there, or None with a note when the round has not finalised
    or cannot be opened."""
    from review_desk.storage.database import ProjectOpenError

    with project.reading() as session:
        links = session.scalars(select(m.RecognitionLink).order_by(m.RecognitionLink.id)).all()
    found = []
    for link in links:
        location = linked_location(project, link.location)
        try:
            with Project(location, read_only=True) as linked, linked.reading() as session:
                final = session.scalars(
                    select(m.RecognitionFinal).order_by(m.RecognitionFinal.id.desc())
                ).first()
                same = session.get(m.ReviewProject, link.project_id) is not None
        except (ProjectOpenError, OSError) as error:
            found.append(LinkedOutcome(link.round_name, location, None, "", str(error)))
            continue
        if not same:
            note = tr("{path} is another project, not this round.", path=location)
            found.append(LinkedOutcome(link.round_name, location, None, "", note))
            continue
        row = next((r for r in (final.rows if final else []) if r["code"] == code), None)
        if row is None:
            note = _("not finalised") if final is None else _("not in the round")
            found.append(LinkedOutcome(link.round_name, location, None, "", note))
        else:
            found.append(
                LinkedOutcome(link.round_name, location, row["outcome"], row["reason_text"])
            )
    return found


def require_recognition(session: Session) -> m.ReviewProject:
    """The project record, refused unless the project is a recognition round."""
    record = session.scalars(select(m.ReviewProject)).one()
    if record.kind != RECOGNITION:
        raise RecognitionError(
            tr(
                "{name} is not a recognition round: create one with "
                "'review-desk recognition create'.",
                name=record.name,
            )
        )
    return record


@dataclass(frozen=True)
class RoundLink:
    """A recognition round made from a selection project, as its link records it."""

    round_name: str
    location: str
    project_id: str
    list_hash: str
    created_at: datetime
    created_by: str

    @property
    def found(self) -> bool:
        """Whether the round's project file is where the link says (a server URL is
        taken as found: it is checked when opened)."""
        return "://" in self.location or Path(self.location).exists()


def round_links(project: Project) -> list[RoundLink]:
    """The recognition rounds made from this selection project, oldest first."""
    with project.reading() as session:
        links = session.scalars(select(m.RecognitionLink).order_by(m.RecognitionLink.id)).all()
        return [
            RoundLink(
                link.round_name,
                link.location,
                link.project_id,
                link.list_hash,
                link.created_at,
                link.created_by,
            )
            for link in links
        ]


def source_refusal(project: Project) -> str | None:
    """Why a recognition round cannot be made from ``project`` now (not a selection
    round, its list not finalised, no selected base), or None when it can."""
    with project.reading() as session:
        try:
            selected_bases(session)
        except RecognitionError as error:
            return str(error)
    return None
