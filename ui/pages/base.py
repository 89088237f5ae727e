"""What every workflow page shares: a key, a title, the roles that see it, and a way to
show a project."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from review_desk.project import Project


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
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)

    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (or nothing)."""
        self.project = project
        self.load()

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
