"""A written reason (the committee's adjustment, a deviation's explanation) and, for
adjustments, the new tier. OK stays disabled until the text is written."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from review_desk.domain import Tier
from review_desk.i18n import _


class ReasonDialog(QDialog):
    """A written text (reason, explanation) and, optionally, a tier; OK needs the text."""

    def __init__(
        self, title: str, prompt: str, parent: QWidget | None = None, *, tiers: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel(prompt, self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.tier = QComboBox(self)
        for tier in Tier.decisions():
            self.tier.addItem(tier.label, tier.value)
        if tiers:
            form.addRow(_("New tier") + "：", self.tier)
        else:
            self.tier.hide()
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText(_("At least four characters, kept in the audit log."))
        form.addRow(_("Written reason") + "：", self.text)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.text.textChanged.connect(
            lambda: self.ok.setEnabled(len(self.text.toPlainText().strip()) >= 4)
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text.setFocus()

    def values(self) -> tuple[str, str]:
        """The chosen tier and the written text."""
        return str(self.tier.currentData()), self.text.toPlainText().strip()
