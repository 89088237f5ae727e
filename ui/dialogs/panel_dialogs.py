"""Dialogs of the experts page: a new panel (leader, members, directions) and a recusal
(expert, dossier, reason)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)

from review_desk import queries, reference
from review_desk.i18n import _


def _checklist(parent: QWidget, items: list[tuple[str, int]]) -> QListWidget:
    widget = QListWidget(parent)
    for text, value in items:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        widget.addItem(item)
    return widget


def checked(widget: QListWidget) -> list[int]:
    """Return the values of the checked items."""
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


class PanelDialog(QDialog):
    """Name, leader, members and directions of a new panel."""

    def __init__(self, experts: list[queries.ExpertRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("New panel"))
        self.resize(640, 480)
        form = QFormLayout(self)
        self.name = QLineEdit(self)
        self.leader = QComboBox(self)
        for expert in experts:
            self.leader.addItem(f"{expert.name}（{expert.organisation}）", expert.id)
        lists = QHBoxLayout()
        self.members = _checklist(self, [(f"{e.name}（{e.organisation}）", e.id) for e in experts])
        self.directions = _checklist(
            self, [(f"{d.number:02d} {d.short_name}", d.number) for d in reference.directions()]
        )
        lists.addWidget(self.members)
        lists.addWidget(self.directions)
        form.addRow(_("Panel name") + "：", self.name)
        form.addRow(_("Leader") + "：", self.leader)
        form.addRow(_("Members and directions") + "：", lists)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class RecusalDialog(QDialog):
    """Expert, dossier and reason of a declared recusal."""

    def __init__(
        self,
        experts: list[queries.ExpertRow],
        dossiers: list[queries.DossierRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Record a recusal"))
        self.resize(560, 300)
        form = QFormLayout(self)
        self.expert = QComboBox(self)
        for expert in experts:
            self.expert.addItem(f"{expert.name}（{expert.organisation}）", expert.id)
        self.dossier = QComboBox(self)
        for dossier in dossiers:
            self.dossier.addItem(f"{dossier.code} {dossier.applicant}", dossier.id)
        self.source = QComboBox(self)
        self.source.addItem(_("Declared by the expert"), "expert")
        self.source.addItem(_("Recorded by the agency"), "agency")
        self.reason = QPlainTextEdit(self)
        for caption, widget in (
            (_("Expert"), self.expert),
            (_("Dossier"), self.dossier),
            (_("Raised by"), self.source),
            (_("Reason"), self.reason),
        ):
            form.addRow(caption + "：", widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
