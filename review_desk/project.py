"""A review project as a document: create, open, and work on it in transactions.

A project is one database (an SQLite file by default) plus a folder beside it for the
dossier files (``<name>.files``). A project on a server keeps its files in its database
(:class:`DatabaseFileStore`), with local copies in this user's cache folder.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, func, make_url, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from review_desk import audit, reference
from review_desk.audit import Clock, utc_now
from review_desk.errors import NotPermitted
from review_desk.i18n import tr
from review_desk.paths import user_cache_dir
from review_desk.storage import models as m
from review_desk.storage.database import (
    ProjectOpenError,
    open_database,
    sqlite_path,
    url_for,
)
from review_desk.storage.db_filestore import DatabaseFileStore
from review_desk.storage.filestore import FileStore
from review_desk.storage.locking import ProjectBusy, lock_for_write

PROJECT_SUFFIX = ".rdp"
T = TypeVar("T")


def files_dir_for(location: str | Path) -> Path:
    """Return the file-store folder of a project: ``<file>.files`` beside a project file;
    for a project on a server, whose files are in its database, the folder of their local
    copies: in this user's cache folder, named after the server and database."""
    url = url_for(location)
    path = sqlite_path(url)
    if path is None:
        parsed = make_url(url)
        host = parsed.host or parsed.query.get("host") or "local"
        name = f"{host}_{parsed.port or ''}_{parsed.database or ''}"
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(name))
        return user_cache_dir() / "servers" / safe / "files"
    return path.with_name(path.name + ".files")


def delete_project_files(location: str | Path) -> None:
    """Delete an SQLite project: the database, its WAL files and its file store."""
    path = sqlite_path(url_for(location))
    if path is None:
        raise ProjectOpenError("only an SQLite project file can be deleted this way")
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()
    files = files_dir_for(path)
    if files.exists():
        for stored in files.rglob("*"):
            stored.chmod(0o644 if stored.is_file() else 0o755)
        shutil.rmtree(files)


@dataclass(frozen=True)
class ProjectInfo:
    """The round's record and parameters, as the pages and reports read them."""

    id: str
    name: str
    round_name: str
    organiser: str
    agency: str
    deadline: datetime | None
    created_at: datetime
    provincial_target: int
    provincial_tolerance: int
    per_direction_cap: int
    min_opinion_length: int
    active_rubric_hash: str | None
    # 'selection' or 'recognition' (认定验收, made from the selection project named here).
    kind: str = "selection"
    source_project_id: str | None = None
    source_name: str = ""
    source_round_name: str = ""
    source_list_version: int | None = None
    source_list_hash: str | None = None
    source_location: str = ""


@dataclass
class ProjectSummary:
    """Counts that describe a project at a glance."""

    name: str
    round_name: str
    deadline: datetime | None
    directions_in_use: int
    applicants: int
    dossiers: int
    materials: int
    experts: int
    panels: int
    assignments: int
    recusals: int
    sheets_submitted: int
    sheets_draft: int
    audit_entries: int


@contextmanager
def _permitted() -> Iterator[None]:
    """Turn the server's refusal of a person's rights (SQLSTATE 42501: a missing grant,
    a row-level security policy, the audit actor check) into :class:`NotPermitted`."""
    try:
        yield
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != "42501":
            raise
        detail = str(error.orig).strip().splitlines()[0]
        raise NotPermitted(
            tr("Your account may not do this; the server refused it ({detail}).", detail=detail)
        ) from error


class Project:
    """An open review project."""

    def __init__(
        self,
        location: str | Path,
        *,
        files_dir: Path | None = None,
        create: bool = False,
        read_only: bool = False,
    ) -> None:
        """Open the project at ``location`` (a path or a database URL).

        ``read_only``: for commands that only look (``project info``, ``rank``,
        ``export``…): the file is checked and opened so that nothing is written to it; a
        project of an earlier version must then be opened for writing once to upgrade it.

        ``files_dir``: the folder of the dossier files, or for a project on a server
        (whose files are in its database) the folder of their local copies.
        """
        self.location = location
        self.read_only = read_only
        self.db = open_database(location, create=create, read_only=read_only)
        self.url = self.db.url
        self.path = sqlite_path(self.url)
        folder = files_dir or files_dir_for(location)
        self.files: FileStore | DatabaseFileStore = (
            FileStore(folder)
            if self.path is not None
            else DatabaseFileStore(self.db.engine, folder)
        )
        self._sessions = sessionmaker(self.db.engine, expire_on_commit=False)

    @classmethod
    def create(
        cls,
        location: str | Path,
        *,
        name: str,
        round_name: str = "",
        deadline: datetime | None = None,
        actor: str = "system",
        files_dir: Path | None = None,
        project_id: str | None = None,
        clock: Clock = utc_now,
    ) -> Project:
        """Create a new project with the notice's directions and quota rules."""
        project = cls(location, files_dir=files_dir, create=True)
        quotas = reference.quota_rules()
        with project.transaction() as session:
            record = m.ReviewProject(
                id=project_id or str(uuid.uuid4()),
                name=name,
                round_name=round_name,
                deadline=deadline,
                created_at=clock(),
                provincial_target=quotas.provincial_target,
                provincial_tolerance=quotas.provincial_tolerance,
                per_direction_cap=quotas.per_direction_cap,
            )
            session.add(record)
            for d in reference.directions():
                session.add(
                    m.Direction(
                        id=d.number,
                        name=d.name,
                        short_name=d.short_name,
                        focus_areas=list(d.focus_areas),
                        majors=list(d.majors),
                        provincial_cap=None,
                    )
                )
            audit.record(
                session,
                actor=actor,
                action="project.create",
                entity="review_project",
                entity_id=record.id,
                after={"name": name, "round_name": round_name, "directions": 30},
                clock=clock,
            )
        return project

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with _permitted(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def writing(self, *, key: str = "project") -> Iterator[Session]:
        """A transaction that holds the write lock for ``key`` from its first statement,
        so that what it reads to decide cannot change before it commits. Raises
        :class:`ProjectBusy` when another writer keeps the lock past the busy timeout."""
        with _permitted(), self._sessions.begin() as session:
            lock_for_write(session, key=key)
            yield session

    def write(
        self,
        work: Callable[[Session], T],
        *,
        key: str = "project",
        attempts: int = 6,
        on_busy: Callable[[int], None] | None = None,
    ) -> T:
        """Run ``work`` in a :meth:`writing` transaction, trying again (up to
        ``attempts`` times in all) while another writer holds the lock; ``on_busy`` is
        told each retry's number, so that the user sees "busy, retrying"."""
        for attempt in range(1, attempts + 1):
            try:
                with self.writing(key=key) as session:
                    return work(session)
            except ProjectBusy:
                if attempt >= attempts:
                    raise
                if on_busy is not None:
                    on_busy(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only."""
        with self._sessions() as session:
            yield session

    def info(self) -> ProjectInfo:
        """Return the project record (as plain values, not the ORM row)."""
        with self.reading() as session:
            record = session.scalars(select(m.ReviewProject)).first()
            if record is None:
                raise ProjectOpenError("the project record is missing")
            return ProjectInfo(
                id=record.id,
                name=record.name,
                round_name=record.round_name,
                organiser=record.organiser,
                agency=record.agency,
                deadline=record.deadline,
                created_at=record.created_at,
                provincial_target=record.provincial_target,
                provincial_tolerance=record.provincial_tolerance,
                per_direction_cap=record.per_direction_cap,
                min_opinion_length=record.min_opinion_length,
                active_rubric_hash=record.active_rubric_hash,
                kind=record.kind,
                source_project_id=record.source_project_id,
                source_name=record.source_name,
                source_round_name=record.source_round_name,
                source_list_version=record.source_list_version,
                source_list_hash=record.source_list_hash,
                source_location=record.source_location,
            )

    def summary(self) -> ProjectSummary:
        """Return the counts the overview page and ``project info`` show."""
        info = self.info()
        with self.reading() as s:

            def count(model: type[m.Base], *where: ColumnElement[bool]) -> int:
                query = select(func.count()).select_from(model).where(*where)
                return int(s.execute(query).scalar_one())

            directions_in_use = int(
                s.scalar(select(func.count(func.distinct(m.Dossier.direction_id)))) or 0
            )
            return ProjectSummary(
                name=info.name,
                round_name=info.round_name,
                deadline=info.deadline,
                directions_in_use=directions_in_use,
                applicants=count(m.Applicant),
                dossiers=count(m.Dossier),
                materials=count(m.Material, m.Material.is_current.is_(True)),
                experts=count(m.Expert),
                panels=count(m.Panel),
                assignments=count(m.Assignment),
                recusals=count(m.Recusal),
                sheets_submitted=count(m.ScoreSheet, m.ScoreSheet.status == "submitted"),
                sheets_draft=count(m.ScoreSheet, m.ScoreSheet.status == "draft"),
                audit_entries=count(m.AuditLog),
            )

    def verify_audit(self) -> audit.ChainReport:
        """Check the audit chain."""
        with self.reading() as session:
            return audit.verify_chain(session)

    def close(self) -> None:
        """Release the database connections."""
        self.db.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
