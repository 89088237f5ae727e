"""A server project open in the window: another seat's change reaches the pages through
``deliver_changes`` on the UI thread, the window's own writes do not come back, and
closing the project stops the listener."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from review_desk.changes import Changes
from review_desk.server.create import create_server_project
from tests.pg_cluster import Cluster


def _statement(url: str, sql: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_another_seats_change_reaches_the_pages(  # type: ignore[no-untyped-def]
    window,
    qtbot,
    pg_cluster: Cluster,
    tmp_path: Path,
) -> None:
    from review_desk.project import Project

    made = create_server_project(
        pg_cluster.url(), "window", name="联网项目", files_dir=tmp_path / "files"
    )
    window.set_project(Project(made.url, files_dir=tmp_path / "files"), made.url)
    assert window._listener is not None and window._listener.wait_listening(5)
    received: list[tuple[Changes, object, bool]] = []
    window.operation_did_execute.connect(
        lambda c, s: received.append((c, s, threading.current_thread() is threading.main_thread()))
    )
    # The window's own write is its own business: no notice comes back for it.
    with window.project.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE score SET id = id WHERE false")
    with qtbot.waitSignal(window.operation_did_execute, timeout=2_000):
        _statement(made.url, "UPDATE final_list SET id = id WHERE false")
    assert received == [(Changes(finalised=True), None, True)]
    listener = window._listener
    window.close_project()
    assert window._listener is None and not listener.running
