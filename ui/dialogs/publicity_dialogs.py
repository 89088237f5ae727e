"""The dialogs of 公示与异议: opening the publicity period, recording an objection, its
investigation, the committee's decision, and the revision of the list an upheld
objection brings. Each OK button stays disabled until what the core requires is there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.domain import Tier
from review_desk.i18n import _, tr

from ui.dialogs.buttons import ok_cancel
from ui.dialogs.fields import date_edit as _date_edit
from ui.dialogs.fields import day_of as _day
from ui.dialogs.fields import text_edit as _text
from ui.dialogs.fields import wrapped_label


class EvidenceList(QWidget):
    """Evidence files chosen from disk: a list with add and remove."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.files = QListWidget(self)
        self.files.setMaximumHeight(80)
        layout.addWidget(self.files, 1)
        column = QVBoxLayout()
        self.add_button = QPushButton(_("Add files…"), self)
        self.remove_button = QPushButton(_("Remove"), self)
        column.addWidget(self.add_button)
        column.addWidget(self.remove_button)
        column.addStretch(1)
        layout.addLayout(column)
        self.add_button.clicked.connect(self.choose)
        self.remove_button.clicked.connect(self._remove)

    def choose(self) -> None:
        """Ask for files and add them."""
        names, _filter = QFileDialog.getOpenFileNames(self, _("Evidence files"))
        for name in names:
            if name not in self.paths_text():
                self.files.addItem(name)

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def paths_text(self) -> list[str]:
        """The chosen paths as text."""
        return [self.files.item(i).text() for i in range(self.files.count())]

    def paths(self) -> list[Path]:
        """The chosen files."""
        return [Path(p) for p in self.paths_text()]


class OpenPeriodDialog(QDialog):
    """开启公示: the period's first and last day, the contact for objections, a note."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Open the publicity period"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = wrapped_label(
            self,
            _(
                "The finalised list in force is publicised from the first to the last day "
                "below; objections are recorded while the period is open."
            ),
        )
        layout.addWidget(intro)
        form = QFormLayout()
        self.starts = _date_edit(self, today)
        self.ends = _date_edit(self, date.fromordinal(today.toordinal() + 6))
        self.contact = QLineEdit(self)
        self.contact.setPlaceholderText(_("Telephone, e-mail or address for objections"))
        self.note = QLineEdit(self)
        form.addRow(_("First day") + "：", self.starts)
        form.addRow(_("Last day") + "：", self.ends)
        form.addRow(_("Contact") + "：", self.contact)
        form.addRow(_("Note") + "：", self.note)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Open the period"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        for signal in (self.contact.textChanged, self.starts.dateChanged, self.ends.dateChanged):
            signal.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.ok.setEnabled(
            len(self.contact.text().strip()) >= 2 and _day(self.ends) >= _day(self.starts)
        )

    def values(self) -> dict[str, object]:
        """The arguments of ``publicity.open_period``."""
        return {
            "starts_on": _day(self.starts),
            "ends_on": _day(self.ends),
            "contact": self.contact.text().strip(),
            "note": self.note.text().strip(),
        }


class ObjectionDialog(QDialog):
    """登记异议: the dossier, the objector (or anonymous), contact, day received, the
    grounds and evidence files."""

    def __init__(
        self, dossiers: list[tuple[int, str]], today: date, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Record an objection"))
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.dossier = QComboBox(self)
        self.dossier.setEditable(True)
        self.dossier.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for dossier_id, label in dossiers:
            self.dossier.addItem(label, dossier_id)
        self.dossier.setCurrentIndex(-1)
        line = self.dossier.lineEdit()
        if line is not None:
            line.setPlaceholderText(_("Code or name of the dossier"))
        self.objector = QLineEdit(self)
        self.anonymous = QCheckBox(_("Anonymous (as received)"), self)
        who = QHBoxLayout()
        who.addWidget(self.objector, 1)
        who.addWidget(self.anonymous)
        self.contact = QLineEdit(self)
        self.received = _date_edit(self, today)
        self.received.setMaximumDate(QDate(today.year, today.month, today.day))
        self.grounds = _text(self, _("What the objection says, as received"))
        self.evidence = EvidenceList(self)
        form.addRow(_("Dossier") + "：", self.dossier)
        form.addRow(_("Objector") + "：", who)
        form.addRow(_("Contact") + "：", self.contact)
        form.addRow(_("Received on") + "：", self.received)
        form.addRow(_("Grounds") + "：", self.grounds)
        form.addRow(_("Evidence") + "：", self.evidence)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Record the objection"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.anonymous.toggled.connect(lambda on: self.objector.setEnabled(not on))
        for signal in (
            self.objector.textChanged,
            self.grounds.textChanged,
            self.dossier.currentIndexChanged,
            self.dossier.editTextChanged,
            self.anonymous.toggled,
        ):
            signal.connect(self._check)
        self._check()

    def dossier_id(self) -> int | None:
        """The chosen dossier: the item whose text is typed, or the one item whose code
        (or text) starts with what is typed."""
        typed = self.dossier.currentText().strip()
        index = self.dossier.findText(typed)
        if index < 0 and typed:
            starting = [
                i
                for i in range(self.dossier.count())
                if self.dossier.itemText(i).upper().startswith(typed.upper())
            ]
            index = starting[0] if len(starting) == 1 else -1
        return self.dossier.itemData(index) if index >= 0 else None

    def _check(self) -> None:
        named = self.anonymous.isChecked() or bool(self.objector.text().strip())
        self.ok.setEnabled(
            named and self.dossier_id() is not None and len(self.grounds.toPlainText().strip()) >= 2
        )

    def values(self) -> dict[str, object]:
        """The arguments of ``objections.add_objection``."""
        return {
            "dossier_id": self.dossier_id(),
            "objector": "" if self.anonymous.isChecked() else self.objector.text().strip(),
            "anonymous": self.anonymous.isChecked(),
            "contact": self.contact.text().strip(),
            "received_on": _day(self.received),
            "grounds": self.grounds.toPlainText().strip(),
            "evidence": self.evidence.paths(),
        }


class InvestigateDialog(QDialog):
    """调查: who investigates, the findings so far, more evidence."""

    def __init__(
        self, title: str, assignee: str, findings: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.assignee = QLineEdit(assignee, self)
        self.findings = _text(self, _("What the investigation found"))
        self.findings.setPlainText(findings)
        self.evidence = EvidenceList(self)
        form.addRow(_("Investigated by") + "：", self.assignee)
        form.addRow(_("Investigation findings") + "：", self.findings)
        form.addRow(_("More evidence") + "：", self.evidence)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Save"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.assignee.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        self.ok.setEnabled(bool(assignee.strip()))

    def values(self) -> dict[str, object]:
        """The arguments of ``objections.investigate``."""
        return {
            "assignee": self.assignee.text().strip(),
            "findings": self.findings.toPlainText().strip(),
            "evidence": self.evidence.paths(),
        }


class DecideDialog(QDialog):
    """The committee's decision: upheld or dismissed, with a written reason."""

    def __init__(self, title: str, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = wrapped_label(self, summary)
        layout.addWidget(intro)
        self.upheld = QRadioButton(_("Uphold the objection (the list will be revised)"), self)
        self.dismissed = QRadioButton(_("Dismiss the objection"), self)
        group = QButtonGroup(self)
        group.addButton(self.upheld)
        group.addButton(self.dismissed)
        layout.addWidget(self.upheld)
        layout.addWidget(self.dismissed)
        self.reason = _text(self, _("The committee's written reason, kept in the audit log"))
        layout.addWidget(self.reason)
        buttons = ok_cancel(self, _("Decide"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        for signal in (self.upheld.toggled, self.dismissed.toggled, self.reason.textChanged):
            signal.connect(self._check)
        self._check()

    def _check(self) -> None:
        chosen = self.upheld.isChecked() or self.dismissed.isChecked()
        self.ok.setEnabled(chosen and len(self.reason.toPlainText().strip()) >= 2)

    def values(self) -> tuple[str, str]:
        """The outcome (``upheld`` or ``dismissed``) and the reason."""
        outcome = "upheld" if self.upheld.isChecked() else "dismissed"
        return outcome, self.reason.toPlainText().strip()


class ReviseDialog(QDialog):
    """修订名单: the dossiers whose tier the upheld objection changes, and the reason."""

    def __init__(
        self,
        title: str,
        dossiers: list[tuple[int, str]],
        first: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(620)
        self.labels = dict(dossiers)
        layout = QVBoxLayout(self)
        intro = wrapped_label(
            self,
            _(
                "The list in force is revised into its next version: the dossiers below move "
                "to the tier chosen; every earlier version is kept."
            ),
        )
        layout.addWidget(intro)
        form = QFormLayout()
        row = QHBoxLayout()
        self.dossier = QComboBox(self)
        for dossier_id, label in dossiers:
            self.dossier.addItem(label, dossier_id)
        if first is not None:
            self.dossier.setCurrentIndex(max(0, self.dossier.findData(first)))
        self.tier = QComboBox(self)
        for tier in Tier.decisions():
            self.tier.addItem(tier.label, tier.value)
        self.add_button = QPushButton(_("Add"), self)
        row.addWidget(self.dossier, 1)
        row.addWidget(self.tier)
        row.addWidget(self.add_button)
        form.addRow(_("Dossier and new tier") + "：", row)
        listed = QHBoxLayout()
        self.changes = QListWidget(self)
        self.changes.setMaximumHeight(110)
        listed.addWidget(self.changes, 1)
        self.remove_button = QPushButton(_("Remove"), self)
        listed.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(_("Changes") + "：", listed)
        self.reason = _text(self, _("The committee's written reason, kept in the audit log"))
        form.addRow(_("Written reason") + "：", self.reason)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Revise the list"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.chosen: list[tuple[int, str]] = []
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _add(self) -> None:
        dossier_id, tier = self.dossier.currentData(), str(self.tier.currentData())
        if dossier_id is None:
            return
        self.chosen = [c for c in self.chosen if c[0] != dossier_id] + [(dossier_id, tier)]
        self._show()

    def _remove(self) -> None:
        row = self.changes.currentRow()
        if 0 <= row < len(self.chosen):
            del self.chosen[row]
            self._show()

    def _show(self) -> None:
        self.changes.clear()
        for dossier_id, tier in self.chosen:
            self.changes.addItem(
                tr("{dossier} → {tier}", dossier=self.labels[dossier_id], tier=Tier(tier).label)
            )
        self._check()

    def _check(self) -> None:
        self.ok.setEnabled(bool(self.chosen) and len(self.reason.toPlainText().strip()) >= 4)

    def values(self) -> tuple[list[tuple[int, str]], str]:
        """The (dossier id, new tier) pairs and the reason."""
        return list(self.chosen), self.reason.toPlainText().strip()
