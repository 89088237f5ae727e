"""The server fixtures hold when a module's fixture is set up a second time on one
worker (xdist's worksteal hands a worker the rest of a module it had left): the project
and the logins the first setup made are dropped, and the second setup succeeds."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from review_desk.server.accounts import Capacity, add_user
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server


def test_the_demo_on_a_server_can_be_set_up_twice(pg_cluster: Cluster, demo_source: Path) -> None:
    first = demo_on_server(pg_cluster, "twice", demo_source)
    add_user(first.url, "twice.zhang", Capacity("agency"), "agency-password")
    again = demo_on_server(pg_cluster, "twice", demo_source)
    # The login went with the first project: the second setup can make it again.
    add_user(again.url, "twice.zhang", Capacity("agency"), "agency-password")
    engine = sa.create_engine(pg_cluster.url(again.database, "twice.zhang", "agency-password"))
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM dossier")).scalar()
    finally:
        engine.dispose()
