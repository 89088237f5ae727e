"""The one path for long work: run a plain core function off the UI thread, report its
progress, let the user cancel, and hand the result back on the UI thread together with
what it changed (Anki's ``CollectionOp``).

The core reports progress through a plain callback ``progress(done, total, message)``;
cancelling makes the next call of that callback raise :class:`Cancelled`, so work stops
at a safe point (core functions write in one transaction, which is then rolled back).
A progress dialog appears only when the work takes longer than half a second.

What the work changed is a :class:`~review_desk.changes.Changes`: the work returns an
:class:`~review_desk.changes.Outcome` (its result and its changes), or the caller states
the changes when it starts the operation. They are handed on only when the work
succeeded: a use case that fails or is cancelled rolls its transaction back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from review_desk.changes import NOTHING, Changes, Outcome
from review_desk.i18n import _
from review_desk.progress import Cancelled, Progress

__all__ = ["Cancelled", "Operation", "Progress", "run_operation", "wait_while"]

SHOW_AFTER_MS = 500


class _Worker(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self._work = work
        self.cancel_requested = threading.Event()

    def _progress(self, done: int, total: int, message: str) -> None:
        if self.cancel_requested.is_set():
            raise Cancelled
        self.progressed.emit(done, total, message)

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self._progress)
        except BaseException as error:  # handed to the UI thread, which reports it
            self.failed.emit(error)
        else:
            self.finished.emit(result)
        finally:
            # End the thread's event loop here, not only when the UI thread handles the
            # result: Operation.wait() must return even while the UI thread is the one
            # waiting (closing the window, tests), or it would wait for itself.
            thread = self.thread()
            if thread is not None:
                thread.quit()


class Operation(QObject):
    """A running background operation. Keep a reference until ``done``, ``error`` or
    ``cancelled``.

    On success ``done(result)`` is emitted, then ``changed(changes)`` when the work
    changed anything; ``ended`` is emitted last in every case."""

    done = Signal(object)
    error = Signal(object)
    cancelled = Signal()
    changed = Signal(object)
    ended = Signal()

    def __init__(
        self,
        parent: QWidget,
        title: str,
        work: Callable[[Progress], Any],
        changes: Changes = NOTHING,
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self._thread = QThread()
        self._worker = _Worker(work)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._dialog = QProgressDialog(title, _("Cancel"), 0, 0, parent)
        self._dialog.setWindowTitle(title)
        self._dialog.setMinimumDuration(SHOW_AFTER_MS)
        self._dialog.setAutoClose(False)
        self._dialog.setAutoReset(False)
        self._dialog.canceled.connect(self.cancel)
        self._dialog.reset()
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._dialog.show)

    def start(self) -> Operation:
        """Start the work."""
        self._thread.start()
        self._show_timer.start(SHOW_AFTER_MS)
        return self

    def cancel(self) -> None:
        """Ask the work to stop at its next progress report."""
        self._worker.cancel_requested.set()

    def wait(self) -> None:
        """Block until the worker thread has ended (for shutdown and tests)."""
        self._thread.wait()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self._dialog.setMaximum(total)
        self._dialog.setValue(done)
        self._dialog.setLabelText(message)

    def _finish(self) -> None:
        self._show_timer.stop()
        # reset() also stops the dialog's own timer, armed by the first progress report:
        # left running, it showed the dialog of work that ended within half a second
        # (active, its Esc shortcut taking the key from the window the user was in).
        self._dialog.reset()
        self._dialog.hide()
        self._thread.quit()
        self._thread.wait()

    def _on_finished(self, result: object) -> None:
        self._finish()
        if isinstance(result, Outcome):
            self.changes = result.changes
            result = result.result
        try:
            self.done.emit(result)
            if self.changes:
                self.changed.emit(self.changes)
        finally:
            self.ended.emit()
            self._dispose()

    def _on_failed(self, error: object) -> None:
        self._finish()
        try:
            if isinstance(error, Cancelled):
                self.cancelled.emit()
            else:
                self.error.emit(error)
        finally:
            self.ended.emit()
            self._dispose()

    def _dispose(self) -> None:
        """Free the dialog and this object once the callbacks have run: they are
        children of the page, which would otherwise collect one of each per run."""
        self._dialog.deleteLater()
        self.deleteLater()


def wait_while(busy: Callable[[], bool]) -> None:
    """Keep the UI thread's event loop turning until ``busy()`` is false: how a page
    waits for its operation (tests, screenshots, shutdown). The worker hands its result
    to the UI thread, so blocking on the thread would wait for itself.

    Short nested event loops, not a processEvents() spin: with PySide6 6.12 a tight
    loop of processEvents() calls aborted the interpreter ("none_dealloc")."""
    while busy():
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def run_operation(
    parent: QWidget,
    title: str,
    work: Callable[[Progress], Any],
    on_done: Callable[[Any], object],
    on_error: Callable[[BaseException], object],
    changes: Changes = NOTHING,
) -> Operation:
    """Start ``work`` in the background and call back on the UI thread (what a callback
    returns, such as the button of a message box it shows, is ignored). ``changes``
    is what the work changes when it does not return an ``Outcome`` saying so."""
    operation = Operation(parent, title, work, changes)
    operation.done.connect(on_done)
    operation.error.connect(on_error)
    return operation.start()
