"""``review-desk server create``: a project's database on a PostgreSQL server.

The database gets the schema by the same Alembic migrations as a project file, the
project record, and a group role for each kind of user: agency staff, formal reviewers,
experts and committee members. A person's login role (``server user add``) is made a
member of one group and has what the group has. Row-level permissions follow.

Role names are global to the server, so each group is named after the project:
``rd_<project>_agency`` and so on; the database is ``rd_<project>``.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.server import notify, permissions
from review_desk.server.engine import refusal, server_engine

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from review_desk.project import Project

# The kinds of user, each a group role of the project.
GROUPS = ("agency", "reviewer", "expert", "committee")
_PROJECT_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ServerError(UserError):
    """The server refused, or the request cannot be carried out; the message says why."""


@dataclass(frozen=True)
class ServerProject:
    """A project just created on a server."""

    url: str  # the project's database, as the app and the commands take it
    database: str
    groups: tuple[str, ...]


def database_name(key: str) -> str:
    """The database of the project ``key`` (lower-case letters, digits and ``_``)."""
    if not _PROJECT_KEY.fullmatch(key):
        raise ServerError(
            tr(
                "The project's short name {key} must start with a lower-case letter and hold "
                "only lower-case letters, digits and _ (at most 40).",
                key=key,
            )
        )
    return f"rd_{key}"


def group_role(key: str, kind: str) -> str:
    """The group role of ``kind`` (one of ``GROUPS``) in project ``key``."""
    return f"{database_name(key)}_{kind}"


def create_server_project(
    admin_url: str,
    key: str,
    *,
    name: str,
    round_name: str = "",
    deadline: datetime | None = None,
    files_dir: Path | None = None,
    build: Callable[[str], Project] | None = None,
    empty: bool = False,
) -> ServerProject:
    """Create project ``key`` on the server that ``admin_url`` reaches as a role allowed
    to create databases and roles. Refuses a project that exists already; a failure
    part-way drops what it had made, so the command can simply be run again.
    ``build(url)``, when given, makes the project's content instead of an empty project
    (``server create --demo``: the demo, for training on a trial server). ``empty``:
    the schema, groups and grants without the project record, for ``project push``."""
    from review_desk.project import Project
    from review_desk.storage.database import open_database

    database = database_name(key)
    groups = tuple(group_role(key, kind) for kind in GROUPS)
    admin = server_engine(admin_url, ServerError, autocommit=True)
    project_url = make_url(admin_url).set(database=database)
    if project_url.get_driver_name() in ("", "psycopg2"):
        project_url = project_url.set(drivername="postgresql+psycopg")
    url = project_url.render_as_string(hide_password=False)
    made_database = False
    made_roles: list[str] = []
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            ).scalar()
            if exists:
                raise ServerError(
                    tr(
                        "The server has a project {key} already ({database}).",
                        key=key,
                        database=database,
                    )
                )
            for role in groups:
                known = connection.execute(
                    sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": role}
                ).scalar()
                if not known:
                    connection.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN'))
                    made_roles.append(role)
            connection.execute(sa.text(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8'"))
            made_database = True
            connection.execute(sa.text(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC'))
            for role in groups:
                connection.execute(sa.text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
        if empty:
            engine = open_database(url, create=True).engine
        elif build is not None:
            engine = build(url).db.engine
        else:
            engine = Project.create(
                url,
                name=name,
                round_name=round_name,
                deadline=deadline,
                actor=make_url(admin_url).username or "admin",
                files_dir=files_dir,
            ).db.engine
        try:
            with engine.begin() as connection:
                _grant(connection, key)
                permissions.apply(connection)
                notify.install(connection)
        finally:
            engine.dispose()
    except BaseException as error:
        _undo(admin, database if made_database else None, made_roles)
        if isinstance(error, sa.exc.DBAPIError):
            raise refusal(error, ServerError) from error
        raise
    finally:
        admin.dispose()
    return ServerProject(url=url, database=database, groups=groups)


def upgrade_server_project(project_url: str) -> str | None:
    """Bring the project at ``project_url`` up to this version of Review Desk, as the
    owner of its database (the administrator who ran ``server create``): the schema by
    the same migrations as a file, then the groups' grants, the row policies, the audit
    actor check and the change notices again, so that what the new version added (a
    table, a policy) is covered too. Safe to run again. Returns the revision upgraded
    from, None when the schema was current already."""
    from review_desk.storage.database import ProjectOpenError, open_database, shown_location

    try:
        parsed = make_url(project_url)
    except sa.exc.ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        raise ServerError(
            tr("Not a PostgreSQL server address: {url}", url=shown_location(project_url))
        )
    database = parsed.database or ""
    if not database.startswith("rd_"):
        raise ServerError(
            tr("{database} is not a project database made by server create.", database=database)
        )
    try:
        opened = open_database(project_url)
    except ProjectOpenError as error:
        raise ServerError(str(error)) from error
    try:
        with opened.engine.begin() as connection:
            _grant(connection, database.removeprefix("rd_"))
            permissions.apply(connection)
            notify.install(connection)
    except sa.exc.DBAPIError as error:
        raise refusal(error, ServerError) from error
    finally:
        opened.engine.dispose()
    return opened.upgraded_from


def _grant(connection: sa.Connection, key: str) -> None:
    """The groups' table permissions. Everyone reads and appends to the audit log;
    nobody updates or deletes an audit entry (a trigger refuses it too); the committee
    alone writes adjustments and the final list, and a recognition round's decisions
    and its finalised list; experts write score sheets, recusals
    and their defense and inspection notes; formal reviewers their decisions; the agency
    the rest (every table not named here: the pool's ``conflict_rule`` and
    ``expert_draw`` too, read by all, written by the agency alone; the publicity period
    and the objections too, which the committee updates to decide them). Which rows each
    person may touch is limited by row-level security, added with the accounts."""
    groups = {kind: group_role(key, kind) for kind in GROUPS}
    everyone = ", ".join(f'"{role}"' for role in groups.values())
    execute = connection.exec_driver_sql
    execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    execute(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {everyone}")
    execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}")
    execute(f"GRANT INSERT ON audit_log TO {everyone}")
    written_by = {
        "committee_adjustment": ("committee",),
        "final_list": ("committee",),
        "recognition_decision": ("committee",),
        "recognition_final": ("committee",),
        "score_sheet": ("agency", "expert"),
        "score": ("agency", "expert"),
        "veto_flag": ("agency", "expert"),
        "recusal": ("agency", "expert"),
        "defense_note": ("agency", "expert"),
        "inspection_note": ("agency", "expert"),
        "formal_review": ("agency", "reviewer"),
        "formal_override": ("agency", "reviewer"),
    }
    tables = [
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('audit_log', 'alembic_version')"
        )
    ]
    for table in tables:
        for kind in written_by.get(table, ("agency",)):
            execute(f'GRANT INSERT, UPDATE, DELETE ON "{table}" TO "{groups[kind]}"')
    # The committee decides objections (and links an upheld one to the list it revised):
    # it updates them, never records or deletes one; the row policy keeps the decision
    # itself to the committee (see review_desk.server.permissions).
    if "objection" in tables:
        execute(f'GRANT UPDATE ON objection TO "{groups["committee"]}"')
    execute(f"REVOKE ALL ON alembic_version FROM {everyone}")
    execute(f"GRANT SELECT ON alembic_version TO {everyone}")


def _undo(admin: sa.Engine, database: str | None, roles: list[str]) -> None:
    """Drop what a failed creation had made (best effort: the first error is reported)."""
    with admin.connect() as connection:
        if database is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        for role in roles:
            with contextlib.suppress(sa.exc.DBAPIError):
                connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))


def describe(project: ServerProject) -> str:
    """One line for the user about a created project."""
    return tr(
        "Created the project database {database} with the groups {groups}.",
        database=project.database,
        groups=", ".join(project.groups),
    )
