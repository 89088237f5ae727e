"""docs/server.md's restore drill, run: one pg_dump of a project holds the whole round;
restored into a scratch database, its audit chain is intact and its ranked list the
same as the live project's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from review_desk import ranking
from review_desk.project import Project
from tests.pg_cluster import ADMIN, Cluster
from tests.server.conftest import demo_on_server


def test_a_dump_restores_to_the_same_round(
    pg_cluster: Cluster, tmp_path: Path, demo_source: Path
) -> None:
    made = demo_on_server(pg_cluster, "drill", demo_source)
    connect = ["-h", str(pg_cluster.socket_dir), "-p", str(pg_cluster.port), "-U", ADMIN]
    dump = tmp_path / "sx.dump"
    programs = pg_cluster.bin
    subprocess.run(
        [str(programs / "pg_dump"), *connect, "-Fc", "-f", str(dump), made.database], check=True
    )
    admin = sa.create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "rd_drill_copy"'))
    admin.dispose()
    subprocess.run(
        [str(programs / "pg_restore"), *connect, "-d", "rd_drill_copy", "--no-owner", str(dump)],
        check=True,
    )
    with (
        Project(made.url, files_dir=tmp_path / "a") as live,
        Project(pg_cluster.url("rd_drill_copy"), files_dir=tmp_path / "b") as copy,
    ):
        assert copy.verify_audit().intact
        columns = ["code", "score", "rank", "tier"]
        pd.testing.assert_frame_equal(
            ranking.compute(copy, resamples=0).table[columns].reset_index(drop=True),
            ranking.compute(live, resamples=0).table[columns].reset_index(drop=True),
        )
