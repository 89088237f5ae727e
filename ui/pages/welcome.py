"""The start page shown when no project is open: open the demo, a recent project, or
create one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review_desk import __version__
from review_desk.i18n import _, tr

from ui.pages.base import card


class WelcomePage(QWidget):
    """Offers the demo project on first start, and recent projects afterwards."""

    open_demo = Signal()
    open_file = Signal()
    new_project = Signal()
    connect_server = Signal()
    open_recent = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 40, 48, 40)
        outer.setSpacing(16)
        title = QLabel(_("Review Desk"), self)
        title.setObjectName("welcomeTitle")
        subtitle = QLabel(
            _(
                "Expert review and selection of Shanxi's industry-education integration "
                "platforms and training bases"
            )
            + f"  ·  v{__version__}",
            self,
        )
        subtitle.setObjectName("pageSubtitle")
        outer.addWidget(title)
        outer.addWidget(subtitle)

        row = QHBoxLayout()
        start_card, start_layout = card(_("Start"), self)
        hint = QLabel(
            _(
                "No project is open. The demo project is a complete, fictitious review round: "
                "40 applicants, their dossiers, two expert panels and partly filled scores."
            ),
            start_card,
        )
        hint.setWordWrap(True)
        start_layout.addWidget(hint)
        self.demo_button = QPushButton(_("Open the demo project"), start_card)
        self.demo_button.setObjectName("primaryButton")
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self.open_demo)
        open_button = QPushButton(_("Open a project…"), start_card)
        open_button.clicked.connect(self.open_file)
        new_button = QPushButton(_("New project…"), start_card)
        new_button.clicked.connect(self.new_project)
        server_button = QPushButton(_("Connect to a server…"), start_card)
        server_button.clicked.connect(self.connect_server)
        for button in (self.demo_button, open_button, new_button, server_button):
            button.setMinimumHeight(36)
            start_layout.addWidget(button)
        start_layout.addStretch(1)
        row.addWidget(start_card, 1)

        recent_card, recent_layout = card(_("Recent projects"), self)
        self.recent = QListWidget(recent_card)
        self.recent.itemActivated.connect(
            lambda item: self.open_recent.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.empty_recent = QLabel(_("No recent projects yet."), recent_card)
        self.empty_recent.setObjectName("muted")
        recent_layout.addWidget(self.recent, 1)
        recent_layout.addWidget(self.empty_recent)
        row.addWidget(recent_card, 1)
        outer.addLayout(row, 1)

    def set_recent(self, paths: list[str]) -> None:
        """Show the recent projects, newest first."""
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}\n{path}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(tr("Open {path}", path=path))
            self.recent.addItem(item)
        self.empty_recent.setVisible(not paths)
        self.recent.setVisible(bool(paths))
