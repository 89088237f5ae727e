"""Change notices between the seats of a project on a server (PostgreSQL LISTEN/NOTIFY).

Every write to a project's table makes the server send one notice per statement on the
channel ``rd_changes``, its payload the table's name (:func:`install`, run by ``server
create``; it can be run again on an existing project). A seat's
:class:`ChangeListener` listens on its own connection, gathers the notices that arrive
close together into one :class:`~review_desk.changes.Changes` (:func:`changes_for`) and
hands it to a callback, so another person's work reaches the pages without a manual
refresh. PostgreSQL delivers a notice only after its transaction commits, and only to
listeners of the same database, that is of the same project.

A seat's own writes come back as notices too. The listener skips those sent by the
backends the caller names (``own_pids``: :func:`backend_pids` follows the connections
of an engine), since the seat's own operations report their changes already.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from review_desk.changes import NOTHING, Changes

if TYPE_CHECKING:
    import psycopg

    from review_desk.project import Project

log = logging.getLogger(__name__)

CHANNEL = "rd_changes"
_FUNCTION = "rd_notify_change"
_TRIGGER = "rd_notify_change"
# Tables whose changes no page shows: no trigger, no notice.
_SILENT = frozenset({"alembic_version", "audit_log"})

# What each table of the project stands for. A table not listed here stands for
# everything (a test checks that every table of the schema is listed deliberately).
TABLE_CHANGES: dict[str, Changes] = {
    # A dossier file's bytes: the material row that names the file notifies the change.
    "stored_file": Changes(),
    "stored_file_chunk": Changes(),
    "review_project": Changes(project=True),
    "direction": Changes(project=True),
    "local_setting": Changes(project=True),
    "rubric": Changes(rubric=True),
    "applicant": Changes(dossiers=True),
    "dossier": Changes(dossiers=True),
    "dossier_partner": Changes(dossiers=True),
    "material": Changes(dossiers=True),
    "formal_review": Changes(formal_review=True),
    "formal_override": Changes(formal_review=True),
    "expert": Changes(experts=True),
    "panel": Changes(experts=True),
    "conflict_rule": Changes(experts=True),
    "expert_draw": Changes(experts=True),
    "panel_member": Changes(experts=True),
    "panel_direction": Changes(experts=True),
    # Assignments and recusals also decide which dossiers an expert's login sees.
    "assignment": Changes(experts=True, dossiers=True),
    "recusal": Changes(experts=True, dossiers=True),
    "score_sheet": Changes(scores=True),
    "score": Changes(scores=True),
    "veto_flag": Changes(scores=True),
    "return_package": Changes(scores=True),
    "defense_session": Changes(defense=True),
    "defense_record": Changes(defense=True),
    "defense_note": Changes(defense=True),
    "inspection_note": Changes(defense=True),
    "inspection_record": Changes(defense=True),
    "deviation_note": Changes(explanations=True),
    "committee_adjustment": Changes(adjustments=True),
    "final_list": Changes(finalised=True),
    "publicity_period": Changes(publicity=True),
    "objection": Changes(publicity=True),
    "objection_evidence": Changes(publicity=True),
    "recognition_link": Changes(recognition=True),
    "recognition_decision": Changes(recognition=True),
    "recognition_final": Changes(recognition=True),
    "pilot_period": Changes(pilot=True),
    "pilot_milestone": Changes(pilot=True),
    "pilot_report": Changes(pilot=True),
    "pilot_report_milestone": Changes(pilot=True),
    "pilot_note": Changes(pilot=True),
    # An account decides what its login sees at all.
    "server_account": Changes.everything(),
    "audit_log": NOTHING,
    "alembic_version": NOTHING,
}


def changes_for(tables: Iterable[str]) -> Changes:
    """What the writes to ``tables`` may have changed (an unknown table: everything)."""
    changes = NOTHING
    for table in tables:
        changes = changes | TABLE_CHANGES.get(table, Changes.everything())
    return changes


# No ``%`` in this text: psycopg would read it as a placeholder.
_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME::text);
  RETURN NULL;
END $$
"""


def install(connection: sa.Connection) -> None:
    """Make every table of the project (but the silent ones) notify ``rd_changes`` of
    each statement that writes it. Run as the tables' owner; can be run again."""
    execute = connection.exec_driver_sql
    execute(_FUNCTION_SQL)
    tables = [
        str(row[0])
        for row in execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    for table in sorted(tables):
        if table in _SILENT:
            continue
        execute(f'DROP TRIGGER IF EXISTS {_TRIGGER} ON "{table}"')
        execute(
            f'CREATE TRIGGER {_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def conninfo(url: str) -> str:
    """A libpq connection string for the SQLAlchemy URL ``url`` (its query parameters,
    such as ``host`` for a Unix socket, pass through)."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    params: dict[str, Any] = {}
    for key, value in parsed.query.items():
        params[key] = ",".join(value) if isinstance(value, tuple) else value
    named = {
        "user": parsed.username,
        "password": parsed.password,
        "host": parsed.host,
        "port": parsed.port,
        "dbname": parsed.database,
    }
    params.update({key: value for key, value in named.items() if value not in (None, "")})
    return make_conninfo("", **params)


def backend_pids(engine: sa.Engine) -> Callable[[], set[int]]:
    """Follow the server backends of ``engine``'s connections: return a function that
    gives their process ids (for :class:`ChangeListener`'s ``own_pids``). A connection
    is noted each time it is checked out, so one opened before this call counts too
    once it is used again."""
    pids: dict[int, int] = {}  # id of the pool's connection record -> backend pid
    lock = threading.Lock()

    def noted(dbapi_connection: Any, record: Any, _proxy: Any = None) -> None:
        pid = _backend_pid(dbapi_connection)
        if pid is not None:
            with lock:
                pids[id(record)] = pid

    def forgotten(_dbapi_connection: Any, record: Any) -> None:
        with lock:
            pids.pop(id(record), None)

    sa.event.listen(engine, "checkout", noted)
    sa.event.listen(engine, "close", forgotten)

    def current() -> set[int]:
        with lock:
            return set(pids.values())

    return current


def listen_to(project: Project, on_changes: Callable[[Changes], None]) -> ChangeListener | None:
    """A started listener for the other seats' changes to ``project``, which skips the
    project's own connections; None for a project file, which has no other seats."""
    from review_desk.storage.database import sqlite_path

    if sqlite_path(project.url) is not None:
        return None
    return ChangeListener(project.url, on_changes, own_pids=backend_pids(project.db.engine)).start()


def _backend_pid(dbapi_connection: Any) -> int | None:
    info = getattr(dbapi_connection, "info", None)
    pid = getattr(info, "backend_pid", None)
    return pid if isinstance(pid, int) else None


class ChangeListener:
    """Listens on its own connection for the notices of the project at ``url`` and
    calls ``on_changes`` (from its thread) with what the notices that arrived within
    ``gather`` seconds of each other's first one changed.

    Notices sent by a backend in ``own_pids()`` are skipped. After a lost connection
    it connects again, waiting longer each time (up to ``max_delay``), and then reports
    :meth:`Changes.everything`: notices sent in between are lost. Nothing it meets
    reaches the caller's thread: errors, also those of ``on_changes``, are logged.
    While idle it blocks on the connection's socket."""

    def __init__(
        self,
        url: str,
        on_changes: Callable[[Changes], None],
        *,
        own_pids: Callable[[], set[int]] | None = None,
        gather: float = 0.2,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        keepalive: float = 60.0,
    ) -> None:
        self._conninfo = conninfo(url)
        self._on_changes = on_changes
        self._own_pids = own_pids or set
        self._gather = gather
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._keepalive = keepalive
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread = threading.Thread(target=self._run, name="rd-change-listener", daemon=True)

    # ------------------------------------------------------------------ control
    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """End the listener and wait for its thread (at most ``timeout`` seconds)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._wake_reader.close()
            self._wake_writer.close()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is connected and listening (waiting up to ``timeout``)."""
        return self._listening.wait(timeout)

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listener's connection, while it has one."""
        with self._lock:
            return self._pid

    @property
    def running(self) -> bool:
        """Whether the listener's thread is alive."""
        return self._thread.is_alive()

    # ------------------------------------------------------------------ thread
    def _run(self) -> None:
        delay = self._first_delay
        connected_before = False
        while not self._stopping.is_set():
            try:
                connection = self._connect()
            except Exception as error:  # the server is away: try again later
                log.info("change listener cannot connect: %s", error)
                self._sleep(delay)
                delay = min(delay * 2, self._max_delay)
                continue
            try:
                delay = self._first_delay
                if connected_before:
                    self._deliver(Changes.everything())  # notices may have been missed
                connected_before = True
                self._listen(connection)
            except Exception as error:  # the connection dropped: connect again
                log.info("change listener lost its connection: %s", error)
            finally:
                self._listening.clear()
                with self._lock:
                    self._pid = None
                with contextlib.suppress(Exception):
                    connection.close()
            self._sleep(delay)

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=10,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        try:
            connection.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            connection.close()
            raise
        with self._lock:
            self._pid = connection.info.backend_pid
        self._listening.set()
        return connection

    def _listen(self, connection: psycopg.Connection[Any]) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(connection.fileno(), selectors.EVENT_READ, "server")
            selector.register(self._wake_reader, selectors.EVENT_READ, "wake")
            tables: set[str] = set()
            self._drain(connection, tables)  # any that came with the LISTEN's answer
            while not self._stopping.is_set():
                if not tables and not self._wait(selector, connection, self._keepalive, tables):
                    # Quiet for a while: make sure the server is still there. Notices
                    # that come with the answer wait in the connection: take them.
                    connection.execute("SELECT 1")
                    self._drain(connection, tables)
                    continue
                deadline = time.monotonic() + self._gather
                while not self._stopping.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._wait(selector, connection, remaining, tables)
                if tables and not self._stopping.is_set():
                    self._deliver(changes_for(tables))
                tables = set()

    def _wait(
        self,
        selector: selectors.BaseSelector,
        connection: psycopg.Connection[Any],
        timeout: float,
        tables: set[str],
    ) -> bool:
        """Block until the server sends something, the listener is stopped, or
        ``timeout`` passes; add the notified tables to ``tables``. Return whether
        anything (a notice, or a wake-up) arrived."""
        events = selector.select(timeout)
        if not events:
            return False
        for key, _mask in events:
            if key.data == "wake":
                with contextlib.suppress(OSError):
                    self._wake_reader.recv(64)
                continue
            self._drain(connection, tables)
        return True

    def _drain(self, connection: psycopg.Connection[Any], tables: set[str]) -> None:
        """Add the tables of the notices that have arrived, without waiting (but for
        those of this seat's own connections)."""
        own = self._own_pids()
        for notice in connection.notifies(timeout=0):
            if notice.channel == CHANNEL and notice.pid not in own:
                tables.add(notice.payload)

    def _deliver(self, changes: Changes) -> None:
        if not changes:
            return
        try:
            self._on_changes(changes)
        except Exception:
            log.exception("change listener: the callback failed")

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)
