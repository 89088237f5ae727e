"""Presentation mode for the meeting room: one chart at a time, full screen, large type;
→/↓/PageDown/Space for the next chart, ←/↑/PageUp/Backspace for the previous one,
Home/End for the first/last, Esc to leave."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from review_desk.i18n import _

from ui.widgets.chart_canvas import ChartCanvas

if TYPE_CHECKING:
    from review_desk.charts.figures import Chart

NEXT_KEYS = {Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown, Qt.Key.Key_Space}
PREVIOUS_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace}
SCALE = 1.6


class PresentationWindow(QWidget):
    """A full-screen window stepping through charts built on demand."""

    closed = Signal(int)  # the index shown last

    def __init__(
        self,
        parent: QWidget | None,
        kinds: Sequence[str],
        titles: Sequence[str],
        build: Callable[[str], Chart],
        start: int = 0,
        subtitle: str = "",
    ) -> None:
        # A window of its own, owned by the main window: it goes when the app does.
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presentation")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(_("Presentation"))
        self.setStyleSheet(
            "#presentation { background: white; }"
            "#presentationTitle { font-size: 30px; font-weight: 700; color: #1f2937; }"
            "#presentationCount, #presentationHint { font-size: 18px; color: #4b5563; }"
        )
        self.kinds, self.titles, self._build = list(kinds), list(titles), build
        self.index = max(0, min(start, len(self.kinds) - 1))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 24, 36, 18)
        header = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("presentationTitle")
        self.count = QLabel(self)
        self.count.setObjectName("presentationCount")
        header.addWidget(self.title, 1)
        header.addWidget(self.count)
        layout.addLayout(header)
        self.canvas = ChartCanvas(self, scale=SCALE)
        layout.addWidget(self.canvas, 1)
        self.hint = QLabel(
            (subtitle + "    " if subtitle else "")
            + _("← → change chart    Esc leave presentation"),
            self,
        )
        self.hint.setObjectName("presentationHint")
        layout.addWidget(self.hint)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._show_current()

    def _show_current(self) -> None:
        kind = self.kinds[self.index]
        self.title.setText(self.titles[self.index])
        self.count.setText(f"{self.index + 1} / {len(self.kinds)}")
        self.canvas.set_chart(self._build(kind))

    def go(self, index: int) -> None:
        """Show the chart at ``index`` (clamped to the first and last)."""
        index = max(0, min(index, len(self.kinds) - 1))
        if index != self.index:
            self.index = index
            self._show_current()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in NEXT_KEYS:
            self.go(self.index + 1)
        elif key in PREVIOUS_KEYS:
            self.go(self.index - 1)
        elif key == Qt.Key.Key_Home:
            self.go(0)
        elif key == Qt.Key.Key_End:
            self.go(len(self.kinds) - 1)
        elif key == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit(self.index)
        super().closeEvent(event)
