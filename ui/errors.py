"""Unexpected errors in the window: shown in a dialog with "copy details", and logged.

The installed application has no console, so an exception that reached Qt's event loop
(or ended a worker thread) used to vanish. :func:`install` sets ``sys.excepthook`` and
``threading.excepthook``: the traceback is written to the rotating error log
(:mod:`review_desk.error_log`, its path shown in 帮助 › 关于) and the user sees what
happened with a button that copies the details for a support request. Errors meant for
the user are shown on the page's message bar instead (``Page.show_message``).
"""

from __future__ import annotations

import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.error_log import format_details, write_log
from review_desk.errors import UserError
from review_desk.i18n import _, tr


class ErrorDialog(QDialog):
    """What went wrong, where the log is, and the details to copy."""

    def __init__(
        self,
        summary: str,
        details: str,
        log: Path | None,
        parent: QWidget | None = None,
        *,
        expected: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Error") if expected else _("Unexpected error"))
        self.details = details
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Review Desk ran into an error it did not expect. What you were doing may"
                " not have been finished; your saved work is kept."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setVisible(not expected)
        layout.addWidget(intro)
        self.summary = QLabel(summary, self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        where = (
            tr("The details were written to the log {path}", path=log)
            if log is not None
            else _("The log could not be written.")
        )
        self.log_label = QLabel(where, self)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setVisible(not expected)
        layout.addWidget(self.log_label)
        self.text = QPlainTextEdit(details, self)
        self.text.setReadOnly(True)
        self.text.setMinimumSize(560, 180)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(_("Copy details"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the details (version, traceback) on the clipboard."""
        QApplication.clipboard().setText(self.details)
        self.copy_button.setText(_("Copied"))


class _Relay(QObject):
    """Brings an error from any thread to the main thread, where dialogs may be shown."""

    raised = Signal(object, object, object)


class ErrorReporter:
    """Logs unexpected errors and shows them, one dialog at a time."""

    def __init__(self) -> None:
        self.relay = _Relay()
        self.relay.raised.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._showing = False
        self.previous_hook = sys.excepthook
        self.previous_thread_hook = threading.excepthook

    def excepthook(
        self,
        exc_type: type[BaseException],
        error: BaseException,
        tb: TracebackType | None,
    ) -> None:
        """``sys.excepthook``: errors that reached the event loop on the main thread."""
        if issubclass(exc_type, KeyboardInterrupt):
            self.previous_hook(exc_type, error, tb)
            return
        if threading.current_thread() is threading.main_thread():
            self._show(exc_type, error, tb)
        else:
            self.relay.raised.emit(exc_type, error, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: an error that ended a worker thread."""
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        self.relay.raised.emit(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(
        self,
        exc_type: type[BaseException],
        error: BaseException,
        tb: TracebackType | None,
    ) -> None:
        expected = isinstance(error, UserError)  # meant for the user, only raised too far
        if expected:
            summary, log = str(error), None
            details = "".join(traceback.format_exception(exc_type, error, tb))
        else:
            details = format_details(exc_type, error, tb, context="gui")
            log = write_log(details)
            summary = f"{exc_type.__name__}: {error}"
        if self._showing:  # one dialog at a time; the rest are in the log
            return
        self._showing = True
        try:
            show_dialog(summary, details, log, expected=expected)
        finally:
            self._showing = False


def show_dialog(summary: str, details: str, log: Path | None, *, expected: bool = False) -> None:
    """Show the error dialog over the active window (a seam for tests)."""
    ErrorDialog(summary, details, log, QApplication.activeWindow(), expected=expected).exec()


_reporter: ErrorReporter | None = None


def install() -> ErrorReporter:
    """Install the error hooks for the application (once); return the reporter."""
    global _reporter
    if _reporter is None:
        _reporter = ErrorReporter()
        sys.excepthook = _reporter.excepthook
        threading.excepthook = _reporter.thread_excepthook
    return _reporter


def uninstall() -> None:
    """Put the previous hooks back (for tests)."""
    global _reporter
    if _reporter is not None:
        sys.excepthook = _reporter.previous_hook
        threading.excepthook = _reporter.previous_thread_hook
        _reporter = None
