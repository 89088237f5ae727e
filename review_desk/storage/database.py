"""Opening a project database: the engine, its pragmas, and schema migrations on open.

The database URL is the one place that names the backend. A path becomes an embedded
SQLite URL; anything with ``://`` is taken as a URL (e.g. PostgreSQL for an agency
with several seats). Alembic is imported only when the schema has to change, so that
opening an up-to-date project stays fast.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection

from review_desk.i18n import tr

# The migration revisions this version knows, oldest first. A test checks this against
# Alembic's own view of review_desk/storage/migrations/versions.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD_REVISION = KNOWN_REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class ProjectOpenError(Exception):
    """A project database that cannot be opened; the message is for the user."""


class ProjectTooNewError(ProjectOpenError):
    """The project was written by a newer Review Desk with a schema this one lacks."""


def url_for(location: str | Path) -> str:
    """Return the database URL of a project given by path or URL."""
    text_location = str(location)
    if "://" in text_location:
        return text_location
    return "sqlite:///" + str(Path(text_location).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    """Return the file of an SQLite URL, or None for another backend."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def busy_timeout_ms() -> int:
    """How long a writer waits for another one's lock before the attempt fails (and is
    retried by :meth:`Project.write`): 10 s, or ``REVIEW_DESK_BUSY_TIMEOUT_MS``."""
    value = os.environ.get("REVIEW_DESK_BUSY_TIMEOUT_MS", "")
    return int(value) if value.isdigit() else 10_000


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the UI read while a worker writes; FULL makes each commit durable
    # across power loss, which matters more here than write speed.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine for a project URL with the backend's required settings."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


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


def open_database(location: str | Path, *, create: bool = False) -> OpenedDatabase:
    """Open (or with ``create`` make) a project database and bring its schema up to date.

    An older schema is upgraded after a backup copy; a newer one is refused.
    """
    url = url_for(location)
    path = sqlite_path(url)
    if path is not None:
        if create and path.exists():
            raise ProjectOpenError(tr("A file already exists at {path}.", path=path))
        if not create and not path.is_file():
            raise ProjectOpenError(tr("Project file not found: {path}", path=path))
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
    except Exception as exc:  # the driver's error for "not a database" varies
        engine.dispose()
        raise ProjectOpenError(
            tr("{path} is not a Review Desk project file ({error}).", path=location, error=exc)
        ) from exc
    if revision == HEAD_REVISION:
        return OpenedDatabase(engine, url, None, None)
    if revision is not None and revision not in KNOWN_REVISIONS:
        engine.dispose()
        raise ProjectTooNewError(
            tr(
                "This project was saved by a newer version of Review Desk (schema {revision})."
                " Please install the latest version to open it.",
                revision=revision,
            )
        )
    if revision is None and not create:
        with engine.connect() as connection:
            has_tables = bool(inspect(connection).get_table_names())
        engine.dispose()
        raise ProjectOpenError(
            tr("{path} is not a Review Desk project file.", path=location)
            if has_tables
            else tr("{path} is an empty database, not a Review Desk project.", path=location)
        )
    backup = None
    if revision is not None and path is not None:
        engine.dispose()
        backup = backup_sqlite(path, revision)
    upgrade(engine)
    return OpenedDatabase(engine, url, revision, backup)
