"""A matplotlib chart inside Qt (FigureCanvasQTAgg): details of the mark under the
mouse as a tooltip, and a signal when a dossier's mark is clicked."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from review_desk.charts.figures import Chart


class ChartCanvas(QWidget):
    """Shows one ``Chart`` at a time."""

    dossier_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.chart: Chart | None = None
        self.canvas: Any = None  # FigureCanvasQTAgg, imported with the first chart
        self._scale = scale
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("pageSubtitle")
        self._layout.addWidget(self.placeholder)
        self.last_hover = ""

    def show_message(self, text: str) -> None:
        """Show a message instead of a chart."""
        self._drop_canvas()
        self.placeholder.setText(text)
        self.placeholder.show()

    def set_chart(self, chart: Chart) -> None:
        """Show ``chart`` (its figure gets a new canvas; the old one is dropped)."""
        self._drop_canvas()
        self.placeholder.hide()
        self.chart = chart
        if self._scale != 1.0:
            # Larger type for the meeting room: the canvas fits the figure to the widget
            # in pixels, so a higher dpi makes everything in it larger.
            chart.figure.set_dpi(chart.figure.get_dpi() * self._scale)
            # The Qt canvas recomputes the dpi from this when the screen's pixel ratio
            # changes (HiDPI): scale it too, or the large type is lost there. A private
            # attribute the canvas sets and reads, so matplotlib's stubs do not declare it.
            chart.figure._original_dpi = chart.figure.get_dpi()  # type: ignore[attr-defined]
        os.environ.setdefault("QT_API", "pyside6")  # matplotlib's Qt binding: ours
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        self.canvas = FigureCanvasQTAgg(chart.figure)
        self.canvas.setParent(self)
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.canvas.mpl_connect("motion_notify_event", self._on_motion)
        self.canvas.mpl_connect("button_press_event", self._on_press)
        self._layout.addWidget(self.canvas, 1)
        self.canvas.draw_idle()

    def _drop_canvas(self) -> None:
        if self.canvas is not None:
            self._layout.removeWidget(self.canvas)
            self.canvas.hide()
            self.canvas.deleteLater()
            self.canvas = None
        self.chart = None

    def item_at(self, event: Any) -> tuple[int | None, str] | None:
        """The dossier and details under a matplotlib mouse event."""
        if self.chart is None or event.x is None or event.y is None:
            return None
        return self.chart.item_at(event)

    def _on_motion(self, event: Any) -> None:
        item = self.item_at(event)
        if item is None:
            self.last_hover = ""
            if self.canvas is not None:
                self.canvas.setToolTip("")
            QToolTip.hideText()
            self.setCursor(Qt.CursorShape.ArrowCursor)
            return
        self.last_hover = item[1]
        # Qt shows the widget's tooltip after the usual hover delay; one already shown
        # is updated in place as the mouse moves from mark to mark.
        if self.canvas is not None:
            self.canvas.setToolTip(item[1])
        if QToolTip.isVisible():
            QToolTip.showText(QCursor.pos(), item[1], self.canvas)
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if item[0] is not None else Qt.CursorShape.ArrowCursor
        )

    def _on_press(self, event: Any) -> None:
        item = self.item_at(event)
        if item is not None and item[0] is not None:
            self.dossier_clicked.emit(item[0])
