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


def demo_on_server(cluster: Cluster, key: str, demo_source: Path) -> ServerProject:
    """Project ``key`` on the server holding the suite's demo, pushed from its project
    file (half a second, where building the demo again on the server takes three)."""
    from review_desk.server.create import create_server_project
    from review_desk.server.transfer import push

    made = create_server_project(cluster.url(), key, name="演示", empty=True)
    push(demo_source, made.url)
    return made
