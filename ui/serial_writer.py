"""One serial writer for the scoring desk: writes run off the UI thread, one at a time
and in the order they were given, and each outcome is handed back on the UI thread.

Why a thread: a save takes about 2 ms, but while another process holds the project's
write lock the database waits up to its busy timeout (10 s) before the score-sheet
service gives up with ``SheetBusy``; the desk must keep taking keystrokes meanwhile.
Why serial: changes to one sheet must land in the order they were made (a burst of
typing, then its undo). The thread runs only while there is work, so an idle desk
leaves nothing running, and :meth:`SerialWriter.wait` drains it on close.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.operations import wait_while


@dataclass(frozen=True)
class Job:
    """One write: ``work`` runs on the writer's thread; ``tag`` is the caller's."""

    seq: int
    work: Callable[[], Any] = field(compare=False)
    tag: Any = field(default=None, compare=False)


class SerialWriter(QObject):
    """Runs jobs one after another on a worker thread; emits ``finished(job, result,
    error)`` on the UI thread for each, in order (``error`` is None on success).

    Keep it without a Qt parent: the worker may still hand back a result while the
    widget that made the job is being destroyed, and this object must outlive that."""

    finished = Signal(object, object, object)
    _done = Signal(object, object, object)  # emitted on the worker, delivered queued

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._queue: deque[Job] = deque()
        self._thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._seq = 0
        self._outstanding = 0  # jobs whose outcome the UI thread has not yet seen
        self._done.connect(self._deliver)

    def put(self, work: Callable[[], Any], tag: Any = None) -> Job:
        """Queue ``work``; its outcome comes back through ``finished``."""
        self._seq += 1
        job = Job(self._seq, work, tag)
        self._outstanding += 1
        with self._lock:
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sheet-writer", daemon=False)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(self._thread)
                self._thread.start()
        return job

    def busy(self) -> bool:
        """True while a job's outcome has not been handed back yet."""
        return self._outstanding > 0

    def wait(self) -> None:
        """Return once every job has run and its outcome was handed back (the event
        loop turns meanwhile: the outcomes arrive through it)."""
        wait_while(self.busy)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None
                    return
                job = self._queue.popleft()
            try:
                result = job.work()
            except Exception as error:  # any failure is the caller's to show
                self._done.emit(job, None, error)
            else:
                self._done.emit(job, result, None)

    def _deliver(self, job: Job, result: Any, error: BaseException | None) -> None:
        self._outstanding -= 1
        self.finished.emit(job, result, error)
