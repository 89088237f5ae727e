"""The dialogs of 认定验收: creating a recognition round from a finalised selection
project, the committee's decision on a base, and the finalisation of the recognition
list. Each OK button stays disabled until what the core requires is there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr
from review_desk.recognition import MIN_REASON, OUTCOMES, RECTIFY, BaseOutcome, outcome_label

from ui.dialogs.buttons import ok_cancel
from ui.dialogs.fields import date_edit, day_of, text_edit, wrapped_label

# How long a base is given to rectify unless the committee says otherwise.
DEFAULT_RECTIFY_DAYS = 180


def suggested_round_name(selection_round: str) -> str:
    """A name for the recognition round of a selection round: its name without the
    batch (a recognition round is not 首批) and without 遴选, then 认定验收."""
    name = selection_round.replace("首批", "").strip()
    name = name.removesuffix("遴选").strip()
    return (name or _("Recognition round")) + "认定验收"


def _file_name(text: str) -> str:
    """``text`` as a file name (no path separators or characters Windows refuses)."""
    return "".join("_" if c in '\\/:*?"<>|' else c for c in text).strip() or "recognition"


class CreateRoundDialog(QDialog):
    """创建认定验收项目: the round's name and where the new project file goes."""

    def __init__(
        self, selection_round: str, folder: Path | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Create the recognition round"))
        self.setMinimumWidth(640)
        self.folder = folder
        layout = QVBoxLayout(self)
        intro = wrapped_label(
            self,
            _(
                "A recognition round is a project of its own, made from this project's "
                "finalised list in force: the selected bases with their levels, and the "
                "expert pool. This project records the link to it."
            ),
        )
        layout.addWidget(intro)
        form = QFormLayout()
        self.round_name = QLineEdit(suggested_round_name(selection_round), self)
        self.location = QLineEdit(self)
        self.location.setPlaceholderText(_("The new project file (.rdp)"))
        self.browse_button = QPushButton(_("Browse…"), self)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(self.browse_button)
        self.problem = QLabel("", self)
        self.problem.setObjectName("muted")
        self.problem.setWordWrap(True)
        form.addRow(_("Round name") + "：", self.round_name)
        form.addRow(_("Project file") + "：", where)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        buttons = ok_cancel(self, _("Create"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.browse_button.clicked.connect(self.choose)
        self.round_name.textChanged.connect(self._check)
        self.location.textChanged.connect(self._check)
        # The proposed file follows the name until the user chooses one.
        self._proposed = folder is not None
        self.round_name.textChanged.connect(self._propose_location)
        self.location.textEdited.connect(self._chosen)
        self._propose_location()
        self._check()

    def _chosen(self) -> None:
        self._proposed = False

    def _propose_location(self) -> None:
        if self.folder is not None and self._proposed:
            name = _file_name(self.round_name.text()) + ".rdp"
            self.location.setText(str(self.folder / name))

    def choose(self) -> None:
        """Ask where to save the new project file."""
        start = self.location.text() or _file_name(self.round_name.text()) + ".rdp"
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save the recognition project as"), start, _("Review Desk project (*.rdp)")
        )
        if path:
            self._proposed = False
            self.location.setText(path if path.lower().endswith(".rdp") else path + ".rdp")

    def _check(self) -> None:
        location = self.location.text().strip()
        problem = ""
        if location and "://" not in location and Path(location).exists():
            problem = tr("{path} already exists.", path=location)
        self.problem.setText(problem)
        self.ok.setEnabled(bool(self.round_name.text().strip() and location and not problem))

    def values(self) -> tuple[str, str]:
        """The round's name and the new project's location."""
        return self.round_name.text().strip(), self.location.text().strip()


class DecideDialog(QDialog):
    """The committee's decision on a base: the suggested outcome, or another one with a
    written reason; 限期整改 with its deadline day."""

    def __init__(self, base: BaseOutcome, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = base
        self.setWindowTitle(tr("Decide on {code}", code=base.code))
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        score = f"{base.score:.2f}" if base.score is not None else "—"
        summary = QLabel(
            tr(
                "{code} {platform}\nConsolidated score {score}; suggested outcome: "
                "{suggested} ({reason})",
                code=base.code,
                platform=base.platform,
                score=score,
                suggested=outcome_label(base.suggested),
                reason=base.suggestion_text,
            ),
            self,
        )
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.group = QButtonGroup(self)
        self.choices: dict[str, QRadioButton] = {}
        for outcome in OUTCOMES:
            text = outcome_label(outcome)
            if outcome == base.suggested:
                text = tr("{outcome} (the suggestion)", outcome=text)
            button = QRadioButton(text, self)
            self.group.addButton(button)
            self.choices[outcome] = button
            layout.addWidget(button)
        form = QFormLayout()
        self.deadline = date_edit(self, base.deadline or today + timedelta(DEFAULT_RECTIFY_DAYS))
        form.addRow(_("Rectify by") + "：", self.deadline)
        layout.addLayout(form)
        self.reason = text_edit(self, "")
        self.reason.setPlainText(base.reason)
        layout.addWidget(self.reason)
        self.hint = QLabel("", self)
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        buttons = ok_cancel(self, _("Decide"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        current = base.outcome if base.outcome in self.choices else None
        if current is not None:
            self.choices[current].setChecked(True)
        self.group.buttonToggled.connect(self._check)
        self.reason.textChanged.connect(self._check)
        self._check()

    def outcome(self) -> str | None:
        """The chosen outcome, if any."""
        return next((o for o, b in self.choices.items() if b.isChecked()), None)

    def _check(self) -> None:
        outcome = self.outcome()
        override = outcome is not None and outcome != self.base.suggested
        self.deadline.setEnabled(outcome == RECTIFY)
        self.reason.setPlaceholderText(
            _("The committee's written reason (required: the outcome differs from the suggestion)")
            if override
            else _("The committee's written reason (optional when the suggestion is accepted)")
        )
        short = override and len(self.reason.toPlainText().strip()) < MIN_REASON
        self.hint.setText(
            tr("Write the reason (at least {n} characters).", n=MIN_REASON) if short else ""
        )
        self.ok.setEnabled(outcome is not None and not short)

    def values(self) -> tuple[str, str, date | None]:
        """The outcome, the reason and the deadline (限期整改 only)."""
        outcome = self.outcome() or ""
        deadline = day_of(self.deadline) if outcome == RECTIFY else None
        return outcome, self.reason.toPlainText().strip(), deadline


class FinaliseDialog(QDialog):
    """定稿: the counts per outcome, confirmed; a deadline for the 限期整改 the committee
    gave none; refused while a base has no outcome."""

    def __init__(
        self, bases: list[BaseOutcome], today: date, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Finalise the recognition list"))
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        counts = {o: sum(1 for b in bases if b.outcome == o) for o in OUTCOMES}
        undecided = [b.code for b in bases if b.outcome is None]
        self.missing = [b.code for b in bases if b.outcome == RECTIFY and b.deadline is None]
        text = tr(
            "Lock the outcomes of {total} bases: {passed} passed, {rectify} to rectify within "
            "a deadline, {failed} failed. Once finalised, no decision changes; the list and "
            "the documents are made from it.",
            total=len(bases),
            passed=counts["passed"],
            rectify=counts["rectify"],
            failed=counts["failed"],
        )
        self.summary = wrapped_label(self, text)
        layout.addWidget(self.summary)
        self.undecided = wrapped_label(self, "")
        if undecided:
            self.undecided.setText(
                tr(
                    "These bases have no outcome yet: {codes}. Decide them first.",
                    codes="、".join(undecided),
                )
            )
            layout.addWidget(self.undecided)
        self.deadline = date_edit(self, today + timedelta(DEFAULT_RECTIFY_DAYS))
        if self.missing:
            note = QLabel(
                tr(
                    "The committee gave no deadline to {codes}: they rectify by the day below.",
                    codes="、".join(self.missing),
                ),
                self,
            )
            note.setWordWrap(True)
            layout.addWidget(note)
            form = QFormLayout()
            form.addRow(_("Rectify by") + "：", self.deadline)
            layout.addLayout(form)
        else:
            self.deadline.hide()
        buttons = ok_cancel(self, _("Finalise"))
        self.ok = buttons.buttons()[0]
        self.ok.setEnabled(not undecided)
        layout.addWidget(buttons)

    def rectify_deadline(self) -> date | None:
        """The deadline for the 限期整改 without one (None when every one has its own)."""
        return day_of(self.deadline) if self.missing else None
