"""Opening a project database: the engine, its pragmas, and schema migrations on open.

The database URL is the one place that names the backend. A path becomes an embedded
SQLite URL; anything with ``://`` is taken as a URL (e.g. PostgreSQL for an agency
with several seats). Alembic is imported only when the schema has to change, so that
opening an up-to-date project stays fast.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from review_desk.errors import ProjectOpenError as ProjectOpenError
from review_desk.errors import os_error_message
from review_desk.i18n import _, tr
from scoring_models.rubric import N_

# The migration revisions this version knows, oldest first. A test checks this against
# Alembic's own view of review_desk/storage/migrations/versions.
KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
)
HEAD_REVISION = KNOWN_REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# SQLite's ``PRAGMA application_id`` of a Review Desk project ("RDP1"), set when a project
# is created and when a project of an earlier version (which had none) is opened for
# writing. A file is recognised as a project by this number or, for those earlier
# projects, by its ``alembic_version`` and ``review_project`` tables.
APPLICATION_ID = 0x52445031
SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100

# SQLite's primary result codes that name a cause the user can act on.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 3, 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26


class ProjectTooNewError(ProjectOpenError):
    """The project was written by a newer Review Desk with a schema this one lacks."""


def url_for(location: str | Path) -> str:
    """Return the database URL of a project given by path or URL."""
    text_location = str(location)
    if "://" in text_location:
        return text_location
    return "sqlite:///" + str(Path(text_location).expanduser().resolve())


def shown_location(location: str | Path) -> str:
    """A project's location as shown to users: a file's path as it is; a server URL as
    ``user@host:port/database``, never with its password."""
    text_location = str(location)
    if "://" not in text_location:
        return text_location
    try:
        url = make_url(text_location)
    except Exception:  # not even a URL: say nothing of it that could be a secret
        return "?"
    host = url.host or str(url.query.get("host", "")) or "localhost"
    port = url.port or str(url.query.get("port", "")) or 5432  # libpq's port parameter
    return f"{url.username or ''}@{host}:{port}/{url.database or ''}"


def sqlite_path(url: str) -> Path | None:
    """Return the file of an SQLite URL, or None for another backend."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def busy_timeout_ms() -> int:
    """How long a writer waits for another one's lock before the attempt fails (and is
    retried by :meth:`Project.write`): 10 s, or ``REVIEW_DESK_BUSY_TIMEOUT_MS``."""
    value = os.environ.get("REVIEW_DESK_BUSY_TIMEOUT_MS", "")
    return int(value) if value.isdigit() else 10_000


def _set_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # A read-only connection changes nothing: not the journal mode, not a byte.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cursor.close()


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the UI read while a worker writes; FULL makes each commit durable
    # across power loss, which matters more here than write speed.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cursor.close()


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create the engine for a project URL with the backend's required settings.

    ``read_only`` (SQLite): the file is opened with SQLite's ``mode=ro``, so that
    nothing, not even the journal mode, can be written through this engine.
    """
    path = sqlite_path(url)
    if read_only and path is not None:
        uri = path.absolute().as_uri() + "?mode=ro"
        engine = create_engine(
            url, creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
        )
        event.listen(engine, "connect", _set_read_only_pragmas)
        return engine
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, connect_args=_postgresql_settings(url, read_only=read_only))
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _postgresql_settings(url: str, *, read_only: bool) -> dict[str, str]:
    """A session's settings on a server, given at connection (libpq's ``options``, so
    that no transaction's rollback can undo them): a writer waits for another's lock at
    most the busy timeout (``lock_timeout``), then gets :class:`ProjectBusy` and retries,
    as on SQLite, instead of waiting forever behind a stuck seat; ``read_only``: every
    transaction is read-only, so nothing can be written through this engine."""
    given = make_url(url).query.get("options", "")
    options = [given if isinstance(given, str) else " ".join(given)]
    options.append(f"-c lock_timeout={busy_timeout_ms()}")
    if read_only:
        options.append("-c default_transaction_read_only=on")
    return {"options": " ".join(o for o in options if o)}


def _server_upgrade_needed(location: Path | str) -> ProjectOpenError:
    return ProjectOpenError(
        tr(
            "The project on the server {location} was made by an earlier version of Review "
            "Desk; its administrator must first run: review-desk server upgrade URL",
            location=shown_location(location),
        )
    )


def _not_a_project(path: Path | str) -> ProjectOpenError:
    return ProjectOpenError(
        code="project.not_ours", template=N_("{path} is not a Review Desk project file."), path=path
    )


def _disk_is_full(location: Path | str, margin: int = 1 << 20) -> bool:
    """Return True when the folder of an SQLite project has (almost) no free space left."""
    path = sqlite_path(url_for(location))
    if path is None:
        return False
    try:
        return shutil.disk_usage(path.parent).free < margin
    except OSError:
        return False


def describe_database_error(error: BaseException, location: Path | str) -> str:
    """Name a database driver's failure as the user should read it: a full disk, a
    missing permission, a damaged file; never the driver's own text with its web link,
    nor a server's password."""
    location = shown_location(location)
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, OSError):
        return os_error_message(original)
    code = getattr(original, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or (primary == _SQLITE_IOERR and _disk_is_full(location)):
        # SQLite reports a full disk as an I/O error when it could not grow its
        # shared-memory or WAL file: the free space tells which it was.
        return tr("The disk is full: {path}", path=location)
    if primary in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return tr("Permission denied: {path}", path=location)
    if primary == _SQLITE_NOTADB:
        return tr("{path} is not a Review Desk project file.", path=location)
    if primary == _SQLITE_CORRUPT:
        return tr("The project file {path} is damaged.", path=location)
    if primary == _SQLITE_IOERR:
        return tr("The disk could not be read or written: {path}", path=location)
    reason = str(original).split("\n", 1)[0][:200]
    return tr("The project {path} could not be opened: {reason}", path=location, reason=reason)


def storage_failure(error: BaseException) -> str | None:
    """The user's words for a database failure in the middle of work that is the disk's
    fault, not the program's (a full disk, no permission, an I/O error); None otherwise."""
    original = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(original, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL:
        return _("The disk is full.")
    if primary == _SQLITE_PERM:
        return _("Permission denied.")
    if primary == _SQLITE_IOERR:
        return _("The disk could not be read or written.")
    return None


def check_project_file(path: Path) -> str:
    """Return the schema revision of the Review Desk project at ``path`` without changing
    the file in any way; raise :class:`ProjectOpenError` for anything else.

    The header bytes are read first, then the schema through a read-only connection,
    so that an empty file, a text file or another program's SQLite database is refused
    as it is (SQLAlchemy's engine would switch it to WAL, or make an empty file a
    database, before anyone looked).
    """
    if not path.exists():
        raise ProjectOpenError(
            code="project.missing", template=N_("Project file not found: {path}"), path=path
        )
    if path.is_dir():
        raise ProjectOpenError(
            code="project.folder", template=N_("{path} is a folder, not a project file."), path=path
        )
    try:
        with path.open("rb") as stream:
            header = stream.read(_HEADER_SIZE)
    except OSError as error:
        raise ProjectOpenError(os_error_message(error)) from error
    if not header:
        raise ProjectOpenError(
            code="project.empty",
            template=N_("{path} is an empty file, not a Review Desk project."),
            path=path,
        )
    if len(header) < _HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        raise _not_a_project(path)
    if int.from_bytes(header[68:72], "big") not in (0, APPLICATION_ID):
        raise _not_a_project(path)
    try:
        # Without a WAL file beside it, everything is in the file itself: read it as
        # immutable, so that SQLite does not even make its -wal and -shm files.
        wal = path.with_name(path.name + "-wal")
        options = "?mode=ro" if wal.exists() else "?mode=ro&immutable=1"
        connection = sqlite3.connect(path.absolute().as_uri() + options, uri=True)
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revision = None
            if "alembic_version" in tables:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ProjectOpenError(describe_database_error(error, path)) from error
    if application_id not in (0, APPLICATION_ID):
        raise _not_a_project(path)
    if not isinstance(revision, str) or "review_project" not in tables:
        raise _not_a_project(path)
    return revision


def _mark_as_project(engine: Engine) -> None:
    """Give an SQLite project its application id (projects of earlier versions lack it)."""
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA application_id").scalar() != APPLICATION_ID:
            connection.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
            connection.commit()


def current_revision(connection: Connection) -> str | None:
    """Return the schema revision of a database, or None for an empty one."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, target: str = "head", *, down: bool = False) -> None:
    """Run the migrations up (or down) to ``target`` on the engine's database.

    On SQLite, foreign keys are off while the migrations run, because rebuilding a table
    (Alembic's batch mode) drops the old one; every reference is checked afterwards and
    the whole change is rolled back if one is broken.
    """
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config = _alembic_config(connection)
                if down:
                    command.downgrade(config, target)
                else:
                    command.upgrade(config, target)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ProjectOpenError(
                            tr("The schema change broke {count} references.", count=len(broken))
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the migrations up to ``target`` on the engine's database."""
    migrate(engine, target)


def backup_sqlite(source: Path, revision: str) -> Path:
    """Copy an SQLite project with SQLite's online backup API before a migration."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = source.with_name(f"{source.name}.backup-{revision}-{stamp}")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    return target


@dataclass
class OpenedDatabase:
    """An engine on a project database whose schema is at the head revision."""

    engine: Engine
    url: str
    upgraded_from: str | None
    backup: Path | None


def _too_new(revision: str) -> ProjectTooNewError:
    return ProjectTooNewError(
        tr(
            "This project was saved by a newer version of Review Desk (schema {revision})."
            " Please install the latest version to open it.",
            revision=revision,
        )
    )


def open_database(
    location: str | Path, *, create: bool = False, read_only: bool = False
) -> OpenedDatabase:
    """Open (or with ``create`` make) a project database and bring its schema up to date.

    An SQLite file is checked to be a Review Desk project, touching nothing, before it
    is opened (:func:`check_project_file`). An older schema is upgraded after a backup
    copy; a newer one is refused. ``read_only`` opens the file so that nothing can be
    written to it; an older schema is then refused with a request to open the project
    for writing first (upgrading is a write), rather than upgraded behind a read.
    """
    url = url_for(location)
    path = sqlite_path(url)
    known: str | None = None
    if path is not None:
        if create:
            if path.exists():
                raise ProjectOpenError(tr("A file already exists at {path}.", path=path))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ProjectOpenError(os_error_message(error)) from error
        else:
            known = check_project_file(path)
            if known not in KNOWN_REVISIONS:
                raise _too_new(known)
            if read_only and known != HEAD_REVISION:
                raise ProjectOpenError(
                    code="project.needs_upgrade",
                    template=N_(
                        "{path} was made by an earlier version of Review Desk; open it in"
                        " Review Desk first to upgrade it."
                    ),
                    path=path,
                )
    engine = make_engine(url, read_only=read_only and not create)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
    except DBAPIError as exc:
        engine.dispose()
        raise ProjectOpenError(describe_database_error(exc, location)) from exc
    if path is not None and not create and revision != known:
        engine.dispose()  # changed between the check and the opening: look again
        return open_database(location, read_only=read_only)
    if revision is not None and revision not in KNOWN_REVISIONS:
        engine.dispose()
        raise _too_new(revision)
    if revision is None and not create:
        with engine.connect() as connection:
            has_tables = bool(inspect(connection).get_table_names())
        engine.dispose()
        raise ProjectOpenError(
            tr("{path} is not a Review Desk project file.", path=shown_location(location))
            if has_tables
            else tr(
                "{path} is an empty database, not a Review Desk project.",
                path=shown_location(location),
            )
        )
    if read_only:
        if path is None and revision != HEAD_REVISION:  # a file was refused above
            engine.dispose()
            raise _server_upgrade_needed(location)
        return OpenedDatabase(engine, url, None, None)
    backup = None
    try:
        if revision != HEAD_REVISION:
            if revision is not None and path is not None:
                engine.dispose()
                backup = backup_sqlite(path, revision)
            upgrade(engine)
        if path is not None:
            _mark_as_project(engine)
    except (DBAPIError, sqlite3.Error, OSError) as exc:
        engine.dispose()
        if path is None and getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501":
            # A person's account may not change the schema of a project on a server.
            raise _server_upgrade_needed(location) from exc
        raise ProjectOpenError(describe_database_error(exc, location)) from exc
    return OpenedDatabase(engine, url, revision if revision != HEAD_REVISION else None, backup)
