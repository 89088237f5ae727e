"""The database backend of the tests: ``--db=sqlite`` (the default) or
``--db=postgresql``.

The fixtures that hand a test a project (``demo_project``, ``demo_readonly``,
``finalised_project``, ``new_location`` and those made with ``project_on_backend``) give
a project file under SQLite, and the URL of a database on a throwaway PostgreSQL cluster
under ``--db=postgresql`` (a copy of a template database, PostgreSQL's own cheap copy).
Such a test works on either backend through ``Project(location)`` and the commands,
which take a file or a URL alike.

The default run needs no server: it leaves out every test that needs one (those that
take the ``pg_cluster`` fixture, and those marked ``multi_seat`` or ``postgresql_pass``).
``--db=postgresql`` runs those, and the tests that take one of the project fixtures above
(the storage, intake, scoring, exchange, ranking, results and audit tests among them)
with their projects on the server, except those marked ``sqlite_only`` (they look at the
project file itself) and the GUI's (the GUI's server mode has tests of its own). CI runs
both.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection

from tests.pg_cluster import Cluster, ClusterUnavailable, server_temp_folder

SQLITE, POSTGRESQL = "sqlite", "postgresql"
# A test that uses one of these fixtures (directly or through another fixture) has its
# project on the chosen backend.
PROJECT_FIXTURES = frozenset({"project_on_backend", "new_location", "demo_readonly"})

# The ``new_location`` fixture: a project's place by name (a file, or a server's URL).
NewLocation = Callable[[str], Path | str]

# Markers of tests that only the ``--db=postgresql`` run takes.
POSTGRESQL_PASS = ("multi_seat", "postgresql_pass")

_numbers = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=(SQLITE, POSTGRESQL),
        default=SQLITE,
        help="the backend of the tests' projects (default sqlite; postgresql runs the tests "
        "that take a project against a throwaway PostgreSQL cluster)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): looks at the project file itself; not run under --db"
    )


def backend_of(config: pytest.Config) -> str:
    return str(config.getoption("--db"))


def pytest_report_header(config: pytest.Config) -> str:
    if backend_of(config) == POSTGRESQL:
        return "database backend: postgresql (the tests that need a server or take a project)"
    return "database backend: sqlite (the tests that need a server run with --db=postgresql)"


def _postgresql_pass(item: pytest.Item) -> bool:
    """Whether only the ``--db=postgresql`` run takes the test: it needs a server."""
    if "pg_cluster" in getattr(item, "fixturenames", ()):
        return True
    return any(item.get_closest_marker(name) is not None for name in POSTGRESQL_PASS)


def _runs_on_postgresql(item: pytest.Item) -> bool:
    if _postgresql_pass(item):
        return True
    path = Path(str(item.path))
    if {"gui", "server"} & set(path.parts):
        return False
    if item.get_closest_marker("sqlite_only") is not None:
        return False
    return bool(PROJECT_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backend_of(config) == POSTGRESQL:
        keep = [item for item in items if _runs_on_postgresql(item)]
    else:
        keep = [item for item in items if not _postgresql_pass(item)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: where this run's project fixtures live."""
    return backend_of(request.config)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for this session (per xdist worker). Without
    PostgreSQL's server programs the tests that need it are skipped, unless
    ``REVIEW_DESK_REQUIRE_POSTGRES`` is set (CI sets it: there they must run)."""
    # Not under pytest's own temporary folder: that one is closed to other users, and
    # the server runs as one.
    folder = server_temp_folder()
    try:
        cluster = Cluster(folder).start()
    except ClusterUnavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("REVIEW_DESK_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL is not installed: {error}")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def new_database(cluster: Cluster, *, template: str | None = None) -> str:
    """The URL of a new database on ``cluster`` (a copy of ``template`` when given, else
    empty), its name unique in the session."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    name = f"rd_test_{os.getpid()}_{next(_numbers)}"
    engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        engine.dispose()
    return cluster.url(name)


def server_template(cluster: Cluster, key: str, source: Path) -> str:
    """The database of server project ``key`` holding the project file ``source``
    (``server create --empty`` and ``project push``, as an agency moves a project)."""
    from review_desk.server.create import create_server_project
    from review_desk.server.transfer import push

    made = create_server_project(cluster.url(), key, name=key, empty=True)
    push(source, made.url)
    return made.database


@pytest.fixture(scope="session")
def _pg_templates(
    db_backend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[str, Path], str]]:
    """``template(key, source)``: the name of a template database holding the project
    file ``source``, pushed once per session."""
    made: dict[str, str] = {}

    def template(key: str, source: Path) -> str:
        if key not in made:
            cluster = request.getfixturevalue("pg_cluster")
            made[key] = server_template(cluster, key, source)
        return made[key]

    yield template


@pytest.fixture
def project_on_backend(
    db_backend: str, request: pytest.FixtureRequest, _pg_templates: Callable[[str, Path], str]
) -> Callable[[str, Path, Path], Path | str]:
    """``copy(key, source, target)``: a private copy of the project file ``source`` on
    this run's backend: the file ``target`` under SQLite, else a new database copied from
    the template ``key``."""
    from tests.conftest import copy_project

    def copy(key: str, source: Path, target: Path) -> Path | str:
        if db_backend == SQLITE:
            return copy_project(source, target)
        cluster = request.getfixturevalue("pg_cluster")
        return new_database(cluster, template=_pg_templates(key, source))

    return copy


@pytest.fixture
def new_location(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str], Path | str]:
    """``location(name)``: where a test creates a new project: ``tmp_path/NAME.rdp``
    under SQLite, else a new empty database on the cluster."""

    def location(name: str = "project") -> Path | str:
        if db_backend == SQLITE:
            return tmp_path / f"{name}.rdp"
        return new_database(request.getfixturevalue("pg_cluster"))

    return location


@contextmanager
def raw_sql(location: Path | str) -> Iterator[Connection]:
    """Raw SQL on a project's database as another program runs it, past the app (the
    ``sqlite3`` driver on a file, psycopg on a server), in one transaction committed when
    the block ends. Write parameters as ``:name`` (``sqlalchemy.text``)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from review_desk.storage.database import url_for

    engine = create_engine(url_for(location), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def tables_of(connection: Connection) -> list[str]:
    """The names of the project's tables."""
    from sqlalchemy import inspect

    return sorted(inspect(connection).get_table_names())
