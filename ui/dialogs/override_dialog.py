"""The override dialog: a reviewer replaces an automatic check result with a decision and
its written reason (which goes to the audit log)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.domain import CheckResult
from review_desk.formal_review import FAIL, MIN_REASON_LENGTH, PASS, Check
from review_desk.i18n import _, tr


class OverrideDialog(QDialog):
    """Ask for the decision and the reason; OK only with a long enough reason."""

    def __init__(self, check: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Decide a check"))
        self.resize(520, 340)
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{check.label_text}</b>", self)
        shown = (check.automatic or check.result).label
        automatic = QLabel(
            tr("Automatic result: {result}. {reason}", result=shown, reason=check.reason_text),
            self,
        )
        automatic.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(automatic)
        self.group = QButtonGroup(self)
        self.met = QRadioButton(_("Met"), self)
        self.not_met = QRadioButton(_("Not met"), self)
        self.group.addButton(self.met)
        self.group.addButton(self.not_met)
        (self.not_met if check.result == CheckResult.PASS else self.met).setChecked(True)
        layout.addWidget(self.met)
        layout.addWidget(self.not_met)
        layout.addWidget(QLabel(_("Reason (written into the audit log):"), self))
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(_("e.g. the land certificate is on page 12 of the scan"))
        layout.addWidget(self.reason, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        ok = len(self.reason.toPlainText().strip()) >= MIN_REASON_LENGTH
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def decision(self) -> tuple[str, str]:
        """Return the chosen result and the reason."""
        return (PASS if self.met.isChecked() else FAIL), self.reason.toPlainText().strip()
