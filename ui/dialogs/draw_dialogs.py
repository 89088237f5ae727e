"""Dialogs of the random draw (随机抽取): its parameters with the supervisor's public
value, the result as drawn, and a drawn expert's refusal."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from review_desk import reference
from review_desk.draw import DrawResult
from review_desk.i18n import _, tr

from ui.dialogs.buttons import ok_cancel


class DrawDialog(QDialog):
    """What to draw (direction or fields, how many experts and alternates, for what),
    and the public value the supervisor chose, entered last."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Draw experts"))
        self.resize(560, 460)
        layout = QVBoxLayout(self)
        what = QGroupBox(_("What to draw"), self)
        form = QFormLayout(what)
        self.direction = QComboBox(what)
        self.direction.addItem(_("Any direction (by fields)"), None)
        for d in reference.directions():
            self.direction.addItem(f"{d.number:02d} {d.short_name}", d.number)
        self.fields = QLineEdit(what)
        self.fields.setPlaceholderText(_("e.g. 智能制造, 机械工程 (optional with a direction)"))
        self.experts = QSpinBox(what)
        self.experts.setRange(1, 99)
        self.experts.setValue(3)
        self.alternates = QSpinBox(what)
        self.alternates.setRange(0, 99)
        self.alternates.setValue(1)
        self.label = QLineEdit(what)
        self.label.setPlaceholderText(_("e.g. the panel's name"))
        form.addRow(_("Industry direction") + "：", self.direction)
        form.addRow(_("Fields or majors") + "：", self.fields)
        form.addRow(_("Experts to draw") + "：", self.experts)
        form.addRow(_("Alternates (备选)") + "：", self.alternates)
        form.addRow(_("For") + "：", self.label)
        self.panel = QLineEdit(what)
        self.panel.setPlaceholderText(_("optional: the drawn experts become this panel's members"))
        form.addRow(_("Panel") + "：", self.panel)
        layout.addWidget(what)
        supervised = QGroupBox(_("The supervisor's public value"), self)
        box = QVBoxLayout(supervised)
        hint = QLabel(
            _(
                "Enter the value the supervisor chose in front of everyone present, for "
                "example the dice thrown in the room or a figure published on an agreed "
                "day. The seed is the SHA-256 of the pool, the conflict rules, these "
                "parameters and this value; it is committed in the audit log before the "
                "draw is made, so anyone with the project can verify the draw afterwards."
            ),
            supervised,
        )
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        self.public_value = QLineEdit(supervised)
        self.public_value.setPlaceholderText(_("e.g. 3-5-1-6 (dice thrown at 9:30)"))
        box.addWidget(hint)
        box.addWidget(self.public_value)
        layout.addWidget(supervised)
        layout.addStretch(1)
        self.buttons = ok_cancel(self, _("Draw now"))
        layout.addWidget(self.buttons)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        for signal in (self.public_value.textChanged, self.fields.textChanged):
            signal.connect(self._update)
        self.direction.currentIndexChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        has_subject = self.direction.currentData() is not None or bool(self.fields.text().strip())
        self.ok.setEnabled(has_subject and bool(self.public_value.text().strip()))

    def field_list(self) -> list[str]:
        """The fields entered, split at commas."""
        text = self.fields.text().replace("，", ",").replace("、", ",")
        return [f.strip() for f in text.split(",") if f.strip()]


def _name_list(ids: list[int], names: dict[int, str]) -> str:
    return "、".join(names.get(i, str(i)) for i in ids) or "—"


class DrawResultDialog(QDialog):
    """A draw as made: its result by name, its seed and input hashes, and a button for
    the printable record."""

    def __init__(
        self,
        result: DrawResult,
        names: dict[int, str],
        open_record: Callable[[int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Draw {id}", id=result.id))
        self.resize(620, 420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow(_("Drawn") + "：", QLabel(_name_list(result.selected, names), self))
        form.addRow(_("Alternates") + "：", QLabel(_name_list(result.alternates, names), self))
        form.addRow(_("Eligible experts") + "：", QLabel(str(result.pool_size), self))
        form.addRow(_("Public value") + "：", QLabel(result.public_value, self))
        for key, label in (
            ("pool", _("Pool hash")),
            ("rules", _("Rules hash")),
            ("params", _("Parameters hash")),
            ("seed", _("Seed")),
        ):
            value = QLabel(result.hashes.get(key, ""), self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            form.addRow(label + "：", value)
        layout.addLayout(form)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self.record_button = QPushButton(_("Draw record (抽取记录)…"), self)
        buttons.addButton(self.record_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.record_button.clicked.connect(lambda: open_record(result.id))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class RefusalDialog(QDialog):
    """Which drawn expert refuses, and why."""

    def __init__(
        self, members: list[int], names: dict[int, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Record a refusal"))
        self.resize(480, 260)
        form = QFormLayout(self)
        self.expert = QComboBox(self)
        for expert_id in members:
            self.expert.addItem(names.get(expert_id, str(expert_id)), expert_id)
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(_("e.g. 因公出差，无法参加本轮评审"))
        form.addRow(_("Expert") + "：", self.expert)
        form.addRow(_("Reason") + "：", self.reason)
        note = QLabel(_("The first alternate not yet called takes the place."), self)
        note.setObjectName("muted")
        form.addRow(note)
        buttons = ok_cancel(self, _("Record the refusal"))
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.reason.textChanged.connect(
            lambda: ok.setEnabled(len(self.reason.toPlainText().strip()) >= 2)
        )
        ok.setEnabled(False)
        form.addRow(buttons)
