"""The server tests' fixtures: a fresh database per test on the session's throwaway
PostgreSQL cluster (``pg_cluster``, in tests/backends.py), and the demo on a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk.server.create import ServerProject
from tests.backends import new_database
from tests.pg_cluster import Cluster


@pytest.fixture
def pg_database(pg_cluster: Cluster) -> str:
    """The URL of a new, empty database (its name unique in the session)."""
    return new_database(pg_cluster)


@pytest.fixture
def pg_files(tmp_path: Path) -> Path:
    return tmp_path / "files"


def drop_server_project(cluster: Cluster, key: str) -> None:
    """Drop project ``key`` from the cluster if it is there: its database, the logins
    that belong to its groups, and the groups. A module's fixture is set up again on a
    worker that takes the module's remaining tests after it had moved on (xdist's
    worksteal): the project it made then is still on that worker's cluster."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from review_desk.server.create import GROUPS, database_name, group_role

    groups = [group_role(key, kind) for kind in GROUPS]
    engine = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            members = connection.execute(
                sa.text(
                    "SELECT DISTINCT m.rolname FROM pg_auth_members a "
                    "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
                    "WHERE g.rolname = ANY(:groups)"
                ),
                {"groups": groups},
            ).scalars()
            logins = [str(name) for name in members if name not in groups]
            database = database_name(key)
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            for role in [*logins, *groups]:
                connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    finally:
        engine.dispose()


def demo_on_server(cluster: Cluster, key: str, demo_source: Path) -> ServerProject:
    """Project ``key`` on the server holding the suite's demo, pushed from its project
    file (half a second, where building the demo again on the server takes three); a
    project ``key`` left by an earlier setup of the same fixture is dropped first."""
    from review_desk.server.create import create_server_project
    from review_desk.server.transfer import push

    drop_server_project(cluster, key)
    made = create_server_project(cluster.url(), key, name="演示", empty=True)
    push(demo_source, made.url)
    return made
