"""Change notices between seats: a write on one connection to a server project reaches
a :class:`ChangeListener` on another as the ``Changes`` it stands for, promptly, a burst
gathered into few callbacks; the listener skips its own seat's writes, stops at once
and survives a killed connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.changes import NOTHING, Changes
from review_desk.server import notify
from review_desk.server.notify import ChangeListener, backend_pids, changes_for
from review_desk.storage.models import Base
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server


class Recorder:
    """The listener's callback: what arrived, and a way to wait for it."""

    def __init__(self) -> None:
        self.received: list[Changes] = []
        self._condition = threading.Condition()

    def __call__(self, changes: Changes) -> None:
        with self._condition:
            self.received.append(changes)
            self._condition.notify_all()

    def wait_for(self, predicate: Callable[[list[Changes]], bool], timeout: float = 2.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: predicate(self.received), timeout)

    def any_(self, flag: str, timeout: float = 2.0) -> bool:
        return self.wait_for(lambda got: any(getattr(c, flag) for c in got), timeout)


@pytest.fixture(scope="module")
def server_demo(pg_cluster: Cluster, demo_source: Path) -> dict[str, object]:
    made = demo_on_server(pg_cluster, "notice", demo_source)
    engine = sa.create_engine(made.url)
    try:
        with engine.connect() as connection:
            expert, dossier = connection.execute(
                sa.text(
                    "SELECT a.expert_id, a.dossier_id FROM assignment a "
                    "LEFT JOIN score_sheet s ON s.expert_id = a.expert_id "
                    "AND s.dossier_id = a.dossier_id WHERE coalesce(s.status, 'draft') = 'draft' "
                    "ORDER BY a.expert_id, a.dossier_id LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return {"url": made.url, "database": made.database, "expert": expert, "dossier": dossier}


@pytest.fixture
def seats(server_demo: dict[str, object], tmp_path: Path) -> Iterator[tuple[object, object]]:
    """Two seats of the project: the one that writes and the one that listens."""
    from review_desk.project import Project

    url = str(server_demo["url"])
    with (
        Project(url, files_dir=tmp_path / "a") as writer,
        Project(url, files_dir=tmp_path / "b") as reader,
    ):
        yield writer, reader


@pytest.fixture
def listening(
    server_demo: dict[str, object], seats: tuple[object, object]
) -> Iterator[tuple[ChangeListener, Recorder]]:
    recorder = Recorder()
    reader = seats[1]
    listener = ChangeListener(
        str(server_demo["url"]),
        recorder,
        own_pids=backend_pids(reader.db.engine),  # type: ignore[attr-defined]
        first_delay=0.05,
    ).start()
    try:
        assert listener.wait_listening(5)
        yield listener, recorder
    finally:
        listener.stop()
    assert not listener.running


def _statement(url: str, sql: str, times: int = 1) -> None:
    """Run ``sql`` ``times`` times, each in its own transaction (another seat)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for _ in range(times):
                connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_every_table_is_mapped_deliberately() -> None:
    assert set(Base.metadata.tables) <= set(notify.TABLE_CHANGES)
    assert changes_for(["audit_log"]) == NOTHING
    assert changes_for([]) == NOTHING
    assert changes_for(["score_sheet", "score", "veto_flag", "audit_log"]) == Changes(scores=True)
    assert changes_for(["committee_adjustment"]) == Changes(adjustments=True)
    assert changes_for(["final_list"]) == Changes(finalised=True)
    assert changes_for(["material", "dossier", "applicant"]) == Changes(dossiers=True)
    assert changes_for(["a_table_of_a_later_version"]) == Changes.everything()


def test_conninfo_keeps_the_unix_socket(pg_cluster: Cluster) -> None:
    from psycopg.conninfo import conninfo_to_dict

    url = sa.engine.make_url(pg_cluster.url("rd_x", "someone")).set(password="p@ss word")
    params = conninfo_to_dict(notify.conninfo(url.render_as_string(hide_password=False)))
    assert params["host"] == str(pg_cluster.socket_dir)
    assert params["dbname"] == "rd_x"
    assert params["user"] == "someone" and params["password"] == "p@ss word"
    assert "port" in params


def test_install_makes_one_trigger_per_table_and_can_run_again(
    server_demo: dict[str, object],
) -> None:
    engine = sa.create_engine(str(server_demo["url"]))
    try:
        with engine.begin() as connection:
            notify.install(connection)  # again, after server create
        with engine.connect() as connection:
            triggered = {
                str(r[0])
                for r in connection.execute(
                    sa.text(
                        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE t.tgname = 'rd_notify_change'"
                    )
                )
            }
            count = connection.execute(
                sa.text("SELECT count(*) FROM pg_trigger WHERE tgname = 'rd_notify_change'")
            ).scalar()
    finally:
        engine.dispose()
    assert count == len(triggered)
    assert triggered == set(Base.metadata.tables) - {"audit_log"}


def test_a_score_on_one_seat_reaches_the_other(
    server_demo: dict[str, object],
    seats: tuple[object, object],
    listening: tuple[ChangeListener, Recorder],
) -> None:
    from review_desk import scoring

    _listener, recorder = listening
    writer = seats[0]
    scoring.set_score(
        writer,  # type: ignore[arg-type]
        int(server_demo["expert"]),  # type: ignore[call-overload]
        int(server_demo["dossier"]),  # type: ignore[call-overload]
        "A1",
        4.0,
    )
    assert recorder.wait_for(bool, timeout=2.0)
    assert recorder.received[0] == Changes(scores=True)


def test_a_committee_adjustment_arrives_as_adjustments(
    seats: tuple[object, object], listening: tuple[ChangeListener, Recorder]
) -> None:
    from review_desk.ranking_decisions import _current, adjust

    _listener, recorder = listening
    writer = seats[0]
    table = _current(writer, None).table  # type: ignore[arg-type]
    dossier = int(table["dossier_id"].iloc[0])
    adjust(writer, dossier, "municipal", "联席会议认定其示范作用一般")  # type: ignore[arg-type]
    assert recorder.wait_for(bool, timeout=2.0)
    assert recorder.received[0] == Changes(adjustments=True)


def test_the_seats_own_writes_are_skipped(
    server_demo: dict[str, object],
    seats: tuple[object, object],
    listening: tuple[ChangeListener, Recorder],
) -> None:
    from review_desk import scoring

    _listener, recorder = listening
    reader = seats[1]  # the listening seat writes a score itself
    scoring.set_score(
        reader,  # type: ignore[arg-type]
        int(server_demo["expert"]),  # type: ignore[call-overload]
        int(server_demo["dossier"]),  # type: ignore[call-overload]
        "A1",
        5.0,
    )
    # Then another seat touches the final list (a statement notifies even if it
    # changes no row): that one arrives, the own score does not.
    _statement(str(server_demo["url"]), "UPDATE final_list SET id = id WHERE false")
    assert recorder.any_("finalised")
    assert not any(c.scores for c in recorder.received)


def test_a_burst_arrives_as_few_callbacks(
    server_demo: dict[str, object], listening: tuple[ChangeListener, Recorder]
) -> None:
    _listener, recorder = listening
    url = str(server_demo["url"])
    _statement(url, "UPDATE score SET id = id WHERE false", times=50)
    _statement(url, "UPDATE final_list SET id = id WHERE false")
    assert recorder.any_("finalised", timeout=5.0)
    assert 1 <= len(recorder.received) <= 3
    total = NOTHING
    for changes in recorder.received:
        total = total | changes
    assert total == Changes(scores=True, finalised=True)


def test_stop_returns_at_once(server_demo: dict[str, object]) -> None:
    listener = ChangeListener(str(server_demo["url"]), Recorder()).start()
    assert listener.wait_listening(5)
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 1.0
    assert not listener.running


def test_stop_returns_at_once_while_the_server_is_away(tmp_path: Path) -> None:
    away = f"postgresql+psycopg://nobody@/rd_none?host={tmp_path}&port=1"
    listener = ChangeListener(away, Recorder(), first_delay=10.0).start()
    assert not listener.wait_listening(0.2)
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 1.0
    assert not listener.running


def test_a_killed_connection_is_made_again(
    pg_cluster: Cluster,
    server_demo: dict[str, object],
    listening: tuple[ChangeListener, Recorder],
) -> None:
    listener, recorder = listening
    killed = listener.backend_pid
    assert killed is not None
    _statement(pg_cluster.url(), f"SELECT pg_terminate_backend({killed})")
    # Back again, it says that anything may have changed meanwhile.
    assert recorder.wait_for(lambda got: Changes.everything() in got, timeout=5.0)
    assert listener.wait_listening(5)
    assert listener.backend_pid not in (None, killed)
    recorder.received.clear()
    _statement(str(server_demo["url"]), "UPDATE committee_adjustment SET id = id WHERE false")
    assert recorder.any_("adjustments")
    assert recorder.received == [Changes(adjustments=True)]


def test_a_project_file_has_no_listener(tmp_path: Path) -> None:
    from review_desk.project import Project

    with Project.create(tmp_path / "p.rdp", name="本地项目") as project:
        assert notify.listen_to(project, Recorder()) is None


def test_notices_still_arrive_when_the_listener_checks_a_quiet_connection(
    server_demo: dict[str, object],
) -> None:
    recorder = Recorder()
    # A quiet connection is checked every 10 ms here: the checks lose no notice.
    listener = ChangeListener(str(server_demo["url"]), recorder, keepalive=0.01).start()
    try:
        assert listener.wait_listening(5)
        for _ in range(5):
            _statement(str(server_demo["url"]), "UPDATE deviation_note SET id = id WHERE false")
        assert recorder.any_("explanations")
    finally:
        listener.stop()
    assert not listener.running
