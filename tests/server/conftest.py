"""A throwaway PostgreSQL cluster per test session (per xdist worker), and a fresh
database in it per test. Without PostgreSQL's server programs the tests are skipped,
unless ``REVIEW_DESK_REQUIRE_POSTGRES`` is set (CI sets it: there they must run)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from review_desk.server.create import ServerProject
from tests.pg_cluster import Cluster, ClusterUnavailable

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    # Not under pytest's own temporary folder: that one is closed to other users, and
    # the server runs as one.
    folder = Path(tempfile.mkdtemp(prefix="rd-pg-"))
    try:
        cluster = Cluster(folder).start()
    except ClusterUnavailable as error:
        if os.environ.get("REVIEW_DESK_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL is not installed: {error}")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_database(pg_cluster: Cluster) -> str:
    """The URL of a new, empty database (its name unique in the session)."""
    from sqlalchemy import create_engine, text

    name = f"rd_test_{os.getpid()}_{next(_numbers)}"
    engine = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return pg_cluster.url(name)


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
