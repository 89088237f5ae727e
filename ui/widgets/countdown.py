"""A countdown for the defense: the presentation limit, then the questions limit, in big
digits that turn amber in the last minute and red past the limit."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from review_desk.i18n import _


class Countdown(QWidget):
    """Presentation and Q&A timer: start/pause (Space), next phase, reset."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limits = {"presentation": 15 * 60, "qa": 10 * 60}
        self.phase = "presentation"
        self._elapsed_before = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._tick)
        self.phase_label = QLabel("", self)
        self.phase_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display = QLabel("15:00", self)
        self.display.setObjectName("countdown")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.start_button = QPushButton(_("Start"), self)
        self.next_button = QPushButton(_("To questions"), self)
        self.reset_button = QPushButton(_("Reset"), self)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.next_button, self.reset_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.phase_label)
        layout.addWidget(self.display)
        layout.addLayout(buttons)
        self.start_button.clicked.connect(self.toggle)
        self.next_button.clicked.connect(self.next_phase)
        self.reset_button.clicked.connect(self.reset)
        self.reset()

    def set_limits(self, presentation_minutes: int, qa_minutes: int) -> None:
        """Set both limits and start over."""
        self.limits = {"presentation": presentation_minutes * 60, "qa": qa_minutes * 60}
        self.reset()

    def elapsed(self) -> int:
        """Seconds spent in the current phase."""
        running = self._clock.elapsed() // 1000 if self._timer.isActive() else 0
        return self._elapsed_before + int(running)

    def remaining(self) -> int:
        """Seconds left in the current phase (negative when over)."""
        return self.limits[self.phase] - self.elapsed()

    def toggle(self) -> None:
        """Start or pause."""
        if self._timer.isActive():
            self._elapsed_before = self.elapsed()
            self._timer.stop()
            self.start_button.setText(_("Continue"))
        else:
            self._clock.start()
            self._timer.start()
            self.start_button.setText(_("Pause"))
        self._tick()

    def next_phase(self) -> None:
        """Go from the presentation to the questions."""
        self._timer.stop()
        self.phase = "qa"
        self._elapsed_before = 0
        self.start_button.setText(_("Start"))
        self.next_button.setEnabled(False)
        self._tick()

    def reset(self) -> None:
        """Back to the start of the presentation."""
        self._timer.stop()
        self.phase = "presentation"
        self._elapsed_before = 0
        self.start_button.setText(_("Start"))
        self.next_button.setEnabled(True)
        self._tick()

    def _tick(self) -> None:
        left = self.remaining()
        sign = "-" if left < 0 else ""
        minutes, seconds = divmod(abs(left), 60)
        self.display.setText(f"{sign}{minutes:02d}:{seconds:02d}")
        colour = "#b42318" if left < 0 else "#b54708" if left <= 60 else "#1d4f91"
        self.display.setStyleSheet(f"color: {colour};")
        self.phase_label.setText(
            _("Presentation") if self.phase == "presentation" else _("Questions and answers")
        )
