"""``review-desk project push`` and ``project pull``: the demo moved onto a server and
copied back is the same project (every table's rows, the files, the ranking, the audit
chain); a non-empty target, an existing file and a damaged source are refused and
leave nothing behind."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from review_desk import audit, ranking
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.pg_cluster import Cluster
from tests.support import run_cli

_keys = iter(range(1, 1000))


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _server_project(cluster: Cluster, *, empty: bool = True) -> str:
    key = f"push{next(_keys)}"
    options = ["--empty"] if empty else []
    made = run_cli(
        "server", "create", cluster.url(), "--project", key, "--name", "推送", *options, "--json"
    )
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["url"])


def _rows(location: str | Path) -> dict[str, list[Any]]:
    """Every table's rows as the models read them, in primary-key order (the stored
    files' tables apart: files are compared as files)."""
    engine = sa.create_engine(location if isinstance(location, str) else f"sqlite:///{location}")
    try:
        with engine.connect() as connection:
            return {
                t.name: [
                    tuple(row)
                    for row in connection.execute(sa.select(t).order_by(*t.primary_key.columns))
                ]
                for t in m.Base.metadata.sorted_tables
                if not t.name.startswith("stored_file")
            }
    finally:
        engine.dispose()


def _sql_nulls(location: str | Path) -> dict[str, int]:
    """How many of each JSON column's values are SQL NULL (JSON ``null`` is not)."""
    engine = sa.create_engine(location if isinstance(location, str) else f"sqlite:///{location}")
    try:
        with engine.connect() as connection:
            return {
                f"{t.name}.{c.name}": int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(t).where(c.is_(None))
                    ).scalar_one()
                )
                for t in m.Base.metadata.sorted_tables
                for c in t.columns
                if isinstance(c.type, sa.JSON)
            }
    finally:
        engine.dispose()


def _files(project: Path) -> dict[str, str]:
    store = project.with_name(project.name + ".files")
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in store.rglob("*") if p.is_file()
    }


def _ranking(project: Project) -> pd.DataFrame:
    table = ranking.compute(project, resamples=0).table
    return table[["code", "score", "rank", "tier", "reason"]].reset_index(drop=True)


def test_the_demo_pushed_and_pulled_back_is_the_same_project(
    pg_cluster: Cluster, demo_source: Path, tmp_path: Path
) -> None:
    source = copy_project(demo_source, tmp_path / "demo.rdp")
    with sqlite3.connect(source) as connection:  # SQL NULL and JSON null, kept apart
        connection.execute("UPDATE material SET found_items = NULL WHERE id = 1")
        connection.execute("UPDATE material SET found_items = 'null' WHERE id = 2")
    connection.close()
    nulls = _sql_nulls(source)
    assert nulls["material.found_items"] == 1
    url = _server_project(pg_cluster)
    pushed = run_cli("project", "push", str(source), url, "--json")
    assert pushed.returncode == 0, pushed.stderr
    report = json.loads(pushed.stdout)
    assert report["files"] == len(_files(source)) > 5

    original = _rows(source)
    assert _rows(url) == original
    assert _sql_nulls(url) == nulls
    with Project(source, read_only=True) as local:
        expected = _ranking(local)
    with Project(url) as server:
        assert server.verify_audit().intact
        pd.testing.assert_frame_equal(_ranking(server), expected)
        for sha in _files(source):
            assert server.files.contains(sha) and server.files.verify(sha)
        # The sequences were moved past the copied rows: the server goes on numbering.
        with server.transaction() as session:
            entry = audit.record(session, actor="admin", action="project.push", entity="x")
            assert entry.id == len(original["audit_log"]) + 1
        assert server.verify_audit().intact

    back = tmp_path / "back" / "back.rdp"
    pulled = run_cli("project", "pull", url, str(back))
    assert pulled.returncode == 0, pulled.stderr
    assert "审计" in pulled.stdout
    rows = _rows(back)
    assert rows.pop("audit_log")[:-1] == original.pop("audit_log")
    assert rows == original
    assert _sql_nulls(back) == nulls
    assert _files(back) == _files(source)
    assert sorted(p.name for p in back.parent.iterdir()) == ["back.rdp", "back.rdp.files"]
    with Project(back) as copy:
        assert copy.verify_audit().intact
        pd.testing.assert_frame_equal(_ranking(copy), expected)


def _fingerprint(url: str) -> tuple[dict[str, list[Any]], list[tuple[str, int]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            files = [
                (str(sha), int(n))
                for sha, n in connection.execute(
                    sa.text(
                        "SELECT sha256, (SELECT count(*) FROM stored_file_chunk c "
                        "WHERE c.sha256 = f.sha256) FROM stored_file f ORDER BY sha256"
                    )
                )
            ]
    finally:
        engine.dispose()
    return _rows(url), files


def test_push_into_a_database_with_a_project_is_refused(
    pg_cluster: Cluster, demo_source: Path, tmp_path: Path
) -> None:
    url = _server_project(pg_cluster, empty=False)
    before = _fingerprint(url)
    refused = run_cli("project", "push", str(demo_source), url)
    assert refused.returncode == 2, refused.stderr
    assert "不是空的" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert _fingerprint(url) == before


def test_a_damaged_source_is_refused_and_nothing_is_left(
    pg_cluster: Cluster, demo_source: Path, tmp_path: Path
) -> None:
    source = copy_project(demo_source, tmp_path / "demo.rdp")
    url = _server_project(pg_cluster)
    empty = _fingerprint(url)
    stored = next(p for p in (tmp_path / "demo.rdp.files").rglob("*") if p.is_file())
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[200] ^= 0xFF
    stored.write_bytes(bytes(data))
    refused = run_cli("project", "push", str(source), url)
    assert refused.returncode == 2 and "损坏" in refused.stderr, refused.stderr
    assert _fingerprint(url) == empty

    # A broken audit chain is refused too.
    stored.write_bytes(bytes(data[:200]) + bytes([data[200] ^ 0xFF]) + bytes(data[201:]))
    with sqlite3.connect(source) as connection:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 3")
    connection.close()
    refused = run_cli("project", "push", str(source), url)
    assert refused.returncode == 2 and "审计" in refused.stderr, refused.stderr
    assert _fingerprint(url) == empty


def test_pull_refuses_an_existing_file_and_a_damaged_server_file(
    pg_cluster: Cluster, demo_source: Path, tmp_path: Path
) -> None:
    url = _server_project(pg_cluster)
    assert run_cli("project", "push", str(demo_source), url).returncode == 0
    there = tmp_path / "there.rdp"
    there.write_bytes(b"mine")
    refused = run_cli("project", "pull", url, str(there))
    assert refused.returncode == 2 and "已存在" in refused.stderr, refused.stderr
    assert there.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["there.rdp"]

    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE stored_file_chunk SET data = set_byte(data, 10, 255 - get_byte(data, "
                    "10)) WHERE (sha256, seq) = (SELECT sha256, seq FROM stored_file_chunk "
                    "ORDER BY sha256, seq LIMIT 1)"
                )
            )
    finally:
        engine.dispose()
    refused = run_cli("project", "pull", url, str(tmp_path / "new" / "copy.rdp"))
    assert refused.returncode == 2 and "损坏" in refused.stderr, refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["there.rdp"]
