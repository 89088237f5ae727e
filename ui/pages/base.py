"""What every workflow page shares: a key, a title, the roles that see it, and a way to
show a project."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from review_desk.i18n import _
from review_desk.project import Project

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
    """A page of the main window. Subclasses fill ``body`` and implement ``load``."""

    key = ""

    def __init__(self, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.pages.registry import spec_for

        title = spec_for(self.key).title
        self.title = title
        self.project: Project | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(12)
        heading = QLabel(title, self)
        heading.setObjectName("pageTitle")
        outer.addWidget(heading)
        if subtitle:
            sub = QLabel(subtitle, self)
            sub.setObjectName("pageSubtitle")
            sub.setWordWrap(True)
            outer.addWidget(sub)
        self.message_bar = MessageBar(self)
        outer.addWidget(self.message_bar)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)

    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (or nothing)."""
        self.project = project
        self.message_bar.dismiss()
        self.load()

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
