"""``review-desk project push`` and ``project pull``: a project file moved onto a server,
and a server project copied back as a project file (a complete archive copy).

Both check the source first (its audit chain, every file's digest), copy the rows
(:mod:`review_desk.storage.copy_rows`) and the files, then check the copy the same way
and compare the rows of every table, all before anything is committed or put in place:
a refusal or a failure leaves the target as it was (an empty database, no file).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.project import Project, files_dir_for
from review_desk.server.engine import refusal, server_engine
from review_desk.storage import db_filestore as dbf
from review_desk.storage import models as m
from review_desk.storage.copy_rows import copy_rows, count_rows, set_sequences, table_digests
from review_desk.storage.database import HEAD_REVISION, current_revision, open_database
from review_desk.storage.filestore import FileStore


class TransferError(UserError):
    """A push or pull refused or failed; nothing was left behind."""


@dataclass(frozen=True)
class TransferReport:
    """What was copied and checked."""

    rows: dict[str, int]
    files: int
    audit_entries: int


def _engine(url: str) -> sa.Engine:
    return server_engine(url, TransferError)


def _refused(error: sa.exc.DBAPIError) -> TransferError:
    return refusal(error, TransferError)


def _audit_count(connection: Connection, where: str) -> int:
    """The audit chain's length; refuse a broken chain."""
    with Session(bind=connection) as session:
        report = audit.verify_chain(session)
    if not report.intact:
        raise TransferError(
            tr("The audit log of {where} is broken: {problem}", where=where, problem=report.reason)
        )
    return report.entries


def _needed_files(connection: Connection) -> set[str]:
    """The digests of the files a project holds: its materials, the objections'
    evidence and the pilot's progress reports."""
    needed = set(connection.execute(select(m.Material.sha256)).scalars())
    needed |= set(connection.execute(select(m.ObjectionEvidence.sha256)).scalars())
    return needed | set(connection.execute(select(m.PilotReport.sha256)).scalars())


def _local_files(store: FileStore) -> list[str]:
    if not store.root.is_dir():
        return []
    return sorted(
        p.name for p in store.root.glob("??/*") if p.is_file() and not p.name.startswith(".")
    )


def _same_rows(source: Connection, target: Connection, where: str) -> dict[str, int]:
    """Compare the row counts and the rows of every table; return the counts."""
    counts = count_rows(source)
    if count_rows(target) != counts or table_digests(target) != table_digests(source):
        raise TransferError(tr("The rows copied to {where} differ from the source.", where=where))
    return counts


def _check_empty(connection: Connection, url: str) -> None:
    revision = current_revision(connection)
    if revision is None:
        raise TransferError(
            tr("{url} is not a project database made by server create.", url=_shown(url))
        )
    if revision != HEAD_REVISION:
        raise TransferError(
            tr(
                "The database {url} has schema {revision}; this Review Desk needs {head}.",
                url=_shown(url),
                revision=revision,
                head=HEAD_REVISION,
            )
        )
    filled = {name: n for name, n in count_rows(connection).items() if n}
    filled.update(
        {"stored_file": 1}
        if connection.execute(select(m.StoredFile.sha256).limit(1)).first()
        else {}
    )
    if filled:
        raise TransferError(
            tr(
                "The database {url} is not empty ({tables}): push goes only into an empty "
                "database made by server create --empty.",
                url=_shown(url),
                tables=", ".join(sorted(filled)),
            )
        )


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def push(source: Path, url: str) -> TransferReport:
    """Move the project file ``source`` into the empty project database at ``url``."""
    if "://" in str(source):
        raise TransferError(tr("{path} is not a project file.", path=source))
    with Project(source, read_only=True) as project:
        if not isinstance(project.files, FileStore):  # pragma: no cover - a path is a file
            raise TransferError(tr("{path} is not a project file.", path=source))
        store = project.files
        target = _engine(url)
        try:
            with project.db.engine.connect() as src, src.begin():
                entries = _audit_count(src, tr("the project file"))
                digests = _local_files(store)
                missing = _needed_files(src) - set(digests)
                if missing:
                    raise TransferError(
                        tr("A material file is missing: {sha}", sha=sorted(missing)[0][:12])
                    )
                for sha in digests:
                    if not store.verify(sha):
                        raise TransferError(tr("The stored file {sha} is damaged.", sha=sha[:12]))
                with target.connect() as dst, dst.begin():
                    _check_empty(dst, url)
                    copy_rows(src, dst)
                    set_sequences(dst)
                    for sha in digests:
                        dbf.insert_file(dst, sha, store.path_for(sha))
                    _check_copy(src, dst, digests, entries, tr("the server"))
                    rows = count_rows(dst)
        except sa.exc.DBAPIError as error:
            raise _refused(error) from error
        finally:
            target.dispose()
    return TransferReport(rows, len(digests), entries)


def _check_copy(
    source: Connection, target: Connection, digests: list[str], entries: int, where: str
) -> None:
    if _audit_count(target, where) != entries:
        raise TransferError(tr("The rows copied to {where} differ from the source.", where=where))
    _same_rows(source, target, where)
    if target.dialect.name == "postgresql":
        if dbf.stored_digests(target) != digests:
            raise TransferError(
                tr("The files copied to {where} differ from the source.", where=where)
            )
        for sha in digests:
            if not dbf.check_file(target, sha):
                raise TransferError(tr("The stored file {sha} is damaged.", sha=sha[:12]))


def pull(url: str, target: Path) -> TransferReport:
    """Copy the project at ``url`` into a new project file ``target`` (and its files)."""
    target = target.expanduser().absolute()
    files_dir = files_dir_for(target)
    for existing in (target, files_dir):
        if existing.exists():
            raise TransferError(tr("A file already exists at {path}.", path=existing))
    source = _engine(url)
    made_parent = not target.parent.exists()
    temporary = target.with_name(f".{target.name}.pulling-{uuid.uuid4().hex[:8]}")
    try:
        with source.connect() as src:
            src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin():
                revision = current_revision(src)
                if revision != HEAD_REVISION:
                    raise TransferError(
                        tr(
                            "{url} is not a project database made by server create.",
                            url=_shown(url),
                        )
                        if revision is None
                        else tr(
                            "The database {url} has schema {revision}; this Review Desk needs "
                            "{head}.",
                            url=_shown(url),
                            revision=revision,
                            head=HEAD_REVISION,
                        )
                    )
                entries = _audit_count(src, tr("the server"))
                digests = dbf.stored_digests(src)
                missing = _needed_files(src) - set(digests)
                if missing:
                    raise TransferError(
                        tr("A material file is missing: {sha}", sha=sorted(missing)[0][:12])
                    )
                for sha in digests:
                    if not dbf.check_file(src, sha):
                        raise TransferError(tr("The stored file {sha} is damaged.", sha=sha[:12]))
                rows = _pull_into(src, temporary, digests, entries)
        _put_in_place(temporary, target)
    except BaseException as error:
        _remove_project(temporary)
        if made_parent and target.parent.exists() and not any(target.parent.iterdir()):
            target.parent.rmdir()
        if isinstance(error, sa.exc.DBAPIError):
            raise _refused(error) from error
        raise
    finally:
        source.dispose()
    return TransferReport(rows, len(digests), entries)


def _pull_into(
    src: Connection, temporary: Path, digests: list[str], entries: int
) -> dict[str, int]:
    """Make the project file ``temporary`` (schema by the migrations) with the source's
    rows and files, checked."""
    database = open_database(temporary, create=True)
    try:
        store = FileStore(files_dir_for(temporary))
        with database.engine.connect() as dst, dst.begin():
            copy_rows(src, dst)
            for sha in digests:
                _pull_file(src, sha, store)
            for sha in digests:
                if not store.verify(sha):
                    raise TransferError(tr("The stored file {sha} is damaged.", sha=sha[:12]))
            if _local_files(store) != digests:
                raise TransferError(
                    tr("The files copied to {where} differ from the source.", where=temporary)
                )
            _check_copy(src, dst, digests, entries, str(temporary))
            rows = count_rows(dst)
        with database.engine.connect() as connection:
            # One file, without a write-ahead log beside it, before it is moved.
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    finally:
        database.engine.dispose()
    return rows


def _pull_file(src: Connection, sha: str, store: FileStore) -> None:
    path = store.path_for(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            dbf.write_out(src, sha, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o444)
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def _put_in_place(temporary: Path, target: Path) -> None:
    """The files folder first, the project file last: until it is in place, there is no
    project at the target."""
    files = files_dir_for(temporary)
    if not files.exists():
        files.mkdir()
    for existing in (target, files_dir_for(target)):
        if existing.exists():
            raise TransferError(tr("A file already exists at {path}.", path=existing))
    os.replace(files, files_dir_for(target))
    try:
        os.replace(temporary, target)
    except BaseException:
        os.replace(files_dir_for(target), files)
        raise


def _remove_project(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    files = files_dir_for(path)
    if files.exists():
        for stored in files.rglob("*"):
            stored.chmod(0o644 if stored.is_file() else 0o755)
        with contextlib.suppress(OSError):
            shutil.rmtree(files)
