"""Dialogs of the assignment: the settings of an automatic assignment, and a manual
change of one dossier's experts with its reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from review_desk.assigning import AssignSettings
from review_desk.assignment_view import DossierAssignment
from review_desk.i18n import _, tr
from review_desk.pool import PoolExpert

from ui.dialogs.buttons import ok_cancel


def _load_box(parent: QWidget, value: int | None) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(-1, 9999)
    box.setSpecialValueText(_("automatic"))  # shown at the minimum, -1
    box.setValue(-1 if value is None else value)
    return box


class AssignDialog(QDialog):
    """How many experts per dossier, the loads, and optionally the probability cap."""

    def __init__(self, settings: AssignSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Assign automatically"))
        self.resize(520, 360)
        form = QFormLayout(self)
        intro = QLabel(
            _(
                "Every dossier that passed the formal review gets its experts from those "
                "drawn (or, without a draw, the pool's available experts): at the least "
                "cost, a direction match before a majors match, never a recused pair or "
                "one a conflict rule catches. Work already started stays."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        form.addRow(intro)
        self.k = QSpinBox(self)
        self.k.setRange(1, 30)
        self.k.setValue(settings.k)
        self.k_for = QLineEdit(self)
        self.k_for.setPlaceholderText(_("e.g. 7=3, 12=4 (direction = experts)"))
        self.k_for.setText(
            ", ".join(f"{d}={k}" for d, k in sorted(settings.k_by_direction.items()))
        )
        self.k_for_error = QLabel(self)
        self.k_for_error.setObjectName("muted")
        self.load_min = _load_box(self, settings.load_min)
        self.load_max = _load_box(self, settings.load_max)
        self.capped = QCheckBox(_("Limit every expert–dossier pair's probability"), self)
        self.cap = QDoubleSpinBox(self)
        self.cap.setRange(0.05, 1.0)
        self.cap.setSingleStep(0.05)
        self.cap.setDecimals(2)
        self.cap.setValue(settings.cap if settings.cap is not None else 0.5)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setValue(settings.seed or 0)
        self.capped.setChecked(settings.cap is not None)
        self.capped.toggled.connect(self._update)
        form.addRow(_("Experts per dossier") + "：", self.k)
        form.addRow(_("Per direction") + "：", self.k_for)
        form.addRow(self.k_for_error)
        form.addRow(_("Fewest dossiers per expert") + "：", self.load_min)
        form.addRow(_("Most dossiers per expert") + "：", self.load_max)
        form.addRow(self.capped)
        form.addRow(_("Probability cap q") + "：", self.cap)
        form.addRow(_("Random seed") + "：", self.seed)
        buttons = ok_cancel(self, _("Compute"))
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form.addRow(buttons)
        self.k_for.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.cap.setEnabled(self.capped.isChecked())
        self.seed.setEnabled(self.capped.isChecked())
        parsed = self.per_direction()
        self.k_for_error.setText(
            "" if parsed is not None else _("Write each as direction=experts, e.g. 7=3.")
        )
        self.ok.setEnabled(parsed is not None)

    def per_direction(self) -> dict[int, int] | None:
        """The experts per dossier entered for some directions (None: not readable)."""
        found: dict[int, int] = {}
        text = self.k_for.text().replace("，", ",").replace("、", ",").replace("＝", "=")
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            direction, sep, k = part.partition("=")
            if not sep or not direction.strip().isdigit() or not k.strip().isdigit():
                return None
            if not 1 <= int(k) <= 30:
                return None
            found[int(direction)] = int(k)
        return found

    def settings(self) -> AssignSettings:
        """The settings entered."""
        low, high = self.load_min.value(), self.load_max.value()
        capped = self.capped.isChecked()
        return AssignSettings(
            k=self.k.value(),
            k_by_direction=self.per_direction() or {},
            load_min=None if low < 0 else low,
            load_max=None if high < 0 else high,
            cap=self.cap.value() if capped else None,
            seed=self.seed.value() if capped else None,
        )


class ChangeDialog(QDialog):
    """Take an expert off a dossier, put one on, or both, with the reason."""

    def __init__(
        self,
        dossier: DossierAssignment,
        pool: list[PoolExpert],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Change the experts of {code}", code=dossier.code))
        self.resize(520, 320)
        form = QFormLayout(self)
        form.addRow(QLabel(f"{dossier.code}  {dossier.applicant}  ·  {dossier.direction}", self))
        self.remove = QComboBox(self)
        self.remove.addItem(_("(nobody)"), None)
        for expert in dossier.experts:
            self.remove.addItem(expert.name, expert.id)
        assigned = {e.id for e in dossier.experts}
        self.add = QComboBox(self)
        self.add.addItem(_("(nobody)"), None)
        for candidate in pool:
            if candidate.id not in assigned:
                self.add.addItem(f"{candidate.name}（{candidate.organisation}）", candidate.id)
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(_("e.g. 专家临时因病无法评审，由备选专家替换"))
        form.addRow(_("Take off") + "：", self.remove)
        form.addRow(_("Put on") + "：", self.add)
        form.addRow(_("Reason") + "：", self.reason)
        note = QLabel(
            _("The change and its reason are recorded in the audit log; conflicts are refused."),
            self,
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = ok_cancel(self, _("Change"))
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        for signal in (self.remove.currentIndexChanged, self.add.currentIndexChanged):
            signal.connect(self._update)
        self.reason.textChanged.connect(self._update)
        form.addRow(buttons)
        self._update()

    def _update(self) -> None:
        some = self.remove.currentData() is not None or self.add.currentData() is not None
        self.ok.setEnabled(some and len(self.reason.toPlainText().strip()) >= 2)
