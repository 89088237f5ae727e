"""What every workflow page shares: a key, a title, the roles that see it, a way to
show a project, and the lifecycle of the page's background operations: one at a time,
errors on the message bar, cancelled and waited for when the project closes, and what
they changed announced through :attr:`Page.changed` for the window to deliver to every
page's :meth:`Page.on_changes`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from review_desk.changes import NOTHING, Changes
from review_desk.i18n import _
from review_desk.progress import Progress
from review_desk.project import Project

from ui.operations import Operation, wait_while

# Background and border of the message bar for each level (Orange's inline widget
# messages: information, warning, error).
_LEVEL_COLOURS = {
    "info": ("#e8f1fb", "#9cc3ea"),
    "warning": ("#fff6dd", "#e8c766"),
    "error": ("#fdeceb", "#e7a29c"),
}


class MessageBar(QFrame):
    """A non-modal bar at the top of a page for what the user should know: an action
    that could not be done and why. It stays until closed or replaced; nothing waits
    for it (a dialog is kept for decisions)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.level = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(_("Close"))
        self.close_button.setAccessibleName(_("Close the message"))
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, level: str = "error") -> None:
        """Show ``text`` at ``level`` (``info``, ``warning`` or ``error``)."""
        background, border = _LEVEL_COLOURS.get(level, _LEVEL_COLOURS["error"])
        self.level = level
        self.setStyleSheet(
            f"QFrame#messageBar {{ background: {background}; border: 1px solid {border};"
            " border-radius: 4px; } QFrame#messageBar QLabel { color: #222; }"
        )
        self.label.setText(text)
        self.show()

    def dismiss(self) -> None:
        """Hide the bar."""
        self.label.clear()
        self.level = ""
        self.hide()


class Page(QWidget):
    """A page of the main window. Subclasses fill ``body`` and implement ``load``;
    long work and every database write go through :meth:`start_operation`, and
    :meth:`affected_by` says which changes made elsewhere the page shows."""

    key = ""
    changed = Signal(object)
    """What one of this page's operations changed (a ``Changes``); the window hands it
    to every page."""

    def __init__(self, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.pages.registry import spec_for

        title = spec_for(self.key).title
        self.title = title
        self.project: Project | None = None
        self._operation: Operation | None = None
        self.stale = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(12)
        heading = QLabel(title, self)
        heading.setObjectName("pageTitle")
        outer.addWidget(heading)
        self.subtitle_label: QLabel | None = None
        if subtitle:
            sub = QLabel(subtitle, self)
            sub.setObjectName("pageSubtitle")
            sub.setWordWrap(True)
            outer.addWidget(sub)
            self.subtitle_label = sub
        self.message_bar = MessageBar(self)
        outer.addWidget(self.message_bar)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)

    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (or nothing)."""
        self.project = project
        self.stale = False
        self.message_bar.dismiss()
        self.load()

    # Operations --------------------------------------------------------------------

    def start_operation(
        self,
        title: str,
        work: Callable[[Progress], Any],
        on_done: Callable[[Any], object],
        *,
        on_error: Callable[[BaseException], object] | None = None,
        on_cancelled: Callable[[], object] | None = None,
        changes: Changes = NOTHING,
    ) -> Operation | None:
        """Run ``work`` in the background unless an operation of this page is already
        running (then return None and start nothing).

        ``on_done(result)`` runs on the UI thread; what the work changed (an ``Outcome``
        it returns, else ``changes``) is then announced through :attr:`changed`.
        Errors go to :meth:`report_error` unless ``on_error`` is given. Whatever the
        outcome, :meth:`operation_ended` runs first, so callbacks see the page idle."""
        if self._operation is not None:
            return None
        operation = Operation(self, title, work, changes)
        self._operation = operation
        operation.done.connect(lambda result: self._operation_finished(on_done, result))
        operation.error.connect(
            lambda error: self._operation_finished(on_error or self.report_error, error)
        )
        operation.cancelled.connect(
            lambda: self._operation_finished(lambda _none: on_cancelled and on_cancelled(), None)
        )
        operation.changed.connect(self.changed.emit)
        self.operation_started()
        return operation.start()

    def _operation_finished(self, callback: Callable[[Any], object], value: Any) -> None:
        self._operation = None
        self.operation_ended()
        callback(value)
        if self.stale and self.isVisible() and self._operation is None:
            self.refresh()

    def busy(self) -> bool:
        """Whether an operation of this page is running."""
        return self._operation is not None

    def wait(self) -> None:
        """Return once the running operation, if any, has ended and its callbacks have
        run (tests, screenshots, shutdown)."""
        wait_while(self.busy)

    def cancel_work(self) -> None:
        """Ask the running operation to stop (the project is closing)."""
        if self._operation is not None:
            self._operation.cancel()

    def action_widgets(self) -> tuple[QWidget, ...]:
        """The widgets that start work on this page: disabled while an operation runs."""
        return ()

    def operation_started(self) -> None:
        """An operation started: disable what would start another."""
        for widget in self.action_widgets():
            widget.setEnabled(False)

    def operation_ended(self) -> None:
        """The operation ended, whatever its outcome: enable the actions again."""
        for widget in self.action_widgets():
            widget.setEnabled(True)

    # Changes made elsewhere --------------------------------------------------------

    def affected_by(self, changes: Changes) -> bool:
        """Whether what the page shows may differ after ``changes``."""
        return False

    def on_changes(self, changes: Changes, source: object = None) -> None:
        """An operation (of ``source``, a page or the window) changed the project. A
        page that shows what changed reads it again: at once when it is visible,
        otherwise when it is next shown. The page that made the change refreshes in
        its own callback, so it is skipped here."""
        if source is self or self.project is None or not self.affected_by(changes):
            return
        self.stale = True
        if self.isVisible() and self._operation is None:
            self.refresh()

    def refresh(self) -> None:
        """Read the project again because it changed."""
        self.stale = False
        self.load()

    def showEvent(self, event: QShowEvent) -> None:
        """A page that missed a change while hidden reads the project again."""
        super().showEvent(event)
        if self.stale and self.project is not None and self._operation is None:
            self.refresh()

    def show_message(self, text: str, level: str = "error") -> None:
        """Tell the user something on this page's message bar (not in a modal box):
        ``level`` is ``info``, ``warning`` or ``error``."""
        self.message_bar.show_message(text, level)

    def show_error(self, error: BaseException) -> None:
        """Show an error meant for the user (a :class:`~review_desk.errors.UserError`,
        an I/O error) on the message bar."""
        from review_desk.errors import os_error_message

        text = os_error_message(error) if isinstance(error, OSError) else str(error)
        self.show_message(text, "error")

    def report_error(self, error: BaseException) -> None:
        """Where an operation's error goes unless the page says otherwise: one meant for
        the user (a refusal, a full disk) to the message bar; any other is a defect, for
        the application's error hook to log and show with its details."""
        from review_desk.errors import UserError

        if isinstance(error, (UserError, OSError)):
            self.show_error(error)
        else:
            sys.excepthook(type(error), error, error.__traceback__)

    def clear_message(self) -> None:
        """Hide the message bar."""
        self.message_bar.dismiss()

    def load(self) -> None:
        """Read what the page shows from ``self.project``."""

    def set_role(self, role: str) -> None:
        """Adapt to the user's role (e.g. hide the agency's actions from experts)."""


def card(title: str, parent: QWidget | None = None) -> tuple[QFrame, QVBoxLayout]:
    """Return a framed card with a title and the layout to fill."""
    frame = QFrame(parent)
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 14)
    layout.setSpacing(8)
    if title:
        label = QLabel(title, frame)
        label.setObjectName("cardTitle")
        layout.addWidget(label)
    return frame, layout


def say(widget: QWidget, text: str, timeout_ms: int = 8000) -> None:
    """Show ``text`` in the status bar of ``widget``'s window, if it has one."""
    window = widget.window()
    if hasattr(window, "statusBar"):
        window.statusBar().showMessage(text, timeout_ms)
